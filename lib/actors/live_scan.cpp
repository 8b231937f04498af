// SPDX-License-Identifier: MIT
#include "actors/live_scan.hpp"

#include <algorithm>
#include <array>

namespace fugu::detail {

void sort_by_offset(std::vector<std::uint64_t>& packed) {
    // Two passes of a 16-bit radix sort on the offset half: linear, where a comparison
    // sort of a few hundred thousand values would hold the strand for milliseconds.
    std::vector<std::uint64_t> tmp(packed.size());
    for (unsigned shift : {32u, 48u}) {
        std::vector<std::uint32_t> counts(std::size_t{1} << 16, 0);
        for (auto v : packed) ++counts[(v >> shift) & 0xffff];
        std::uint32_t sum = 0;
        for (auto& c : counts) {
            const std::uint32_t n = c;
            c = sum;
            sum += n;
        }
        for (auto v : packed) tmp[counts[(v >> shift) & 0xffff]++] = v;
        packed.swap(tmp);
    }
}

live_scan::live_scan(const index_view& index, std::span<const std::uint32_t> sources)
    : it_(index.begin()), end_(index.end()), sources_(sources.begin(), sources.end()),
      live_(sources.size()) {}

bool live_scan::step(std::size_t n) {
    // A leaf at a time: the walk reads every entry of the index, and the iterator's step
    // per entry cost more than the check.
    while (n > 0 && it_ != end_) {
        const node& leaf = it_.leaf_node();
        const std::size_t first = it_.leaf_slot(), end = leaf.count();
        for (std::size_t i = first; i < end; ++i) {
            const value_ref v = leaf.value(i);
            // A merge has a handful of sources: a linear search beats any set here.
            for (std::size_t s = 0; s < sources_.size(); ++s) {
                if (sources_[s] != v.slab) continue;
                live_[s].push_back(std::uint64_t{v.offset} << 32 | next_rank_++);
                break;
            }
        }
        n -= std::min(n, end - first);
        it_.next_leaf();
    }
    if (it_ != end_) return false;
    for (auto& l : live_) sort_by_offset(l);
    return true;
}

live_scan::cursor live_scan::live_in(std::size_t source) const noexcept {
    cursor c;
    c.at_ = live_[source].data();
    c.end_ = c.at_ + live_[source].size();
    return c;
}

}  // namespace fugu::detail
