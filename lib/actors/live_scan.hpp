// SPDX-License-Identifier: MIT
// Which entries of a merge's sources are live, found by one ordered walk of the index
// version compaction plans from, instead of a lookup per source entry. A lookup is a
// descent through the tree with a cache miss or more per level; a walk reads the leaves
// in order, a few nanoseconds an entry. Slabs grow geometrically, so a merge's sources
// hold a fair share of the store and the walk is the cheaper of the two by far (in the
// overwrite benchmark, lookups were a fifth of all CPU time). The walk also numbers the
// live entries in key order, so the moves compaction hands the index arrive sorted and
// the index applies them leaf by leaf instead of at random.
#pragma once

#include "index/index_view.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fugu::detail {

// Sorts packed (offset << 32 | rank) values by offset (offsets are distinct).
void sort_by_offset(std::vector<std::uint64_t>& packed);

class live_scan {
public:
    // `sources` are the slab ids of the merge; `index` must outlive the scan.
    live_scan(const index_view& index, std::span<const std::uint32_t> sources);

    // Walks about `n` more index entries (whole leaves). True once the whole index is
    // walked; then each source's live entries are sorted by offset.
    bool step(std::size_t n);

    // Live entries found: the ranks run from 0 to count() - 1 in key order.
    std::uint32_t count() const noexcept { return next_rank_; }

    // The live entries of source i, in offset order, consumed front to back as compaction
    // reads the source: where the next one is, its value's length and its rank.
    class cursor {
    public:
        bool done() const noexcept { return at_ == end_; }
        std::uint32_t offset() const noexcept { return static_cast<std::uint32_t>(*at_ >> 32); }
        std::uint32_t rank() const noexcept { return static_cast<std::uint32_t>(*at_); }
        void advance() noexcept { ++at_; }

    private:
        friend class live_scan;
        const std::uint64_t* at_ = nullptr;
        const std::uint64_t* end_ = nullptr;
    };
    cursor live_in(std::size_t source) const noexcept;

private:
    index_view::iterator it_;
    index_view::iterator end_;
    std::vector<std::uint32_t> sources_;
    std::vector<std::vector<std::uint64_t>> live_;  // per source: offset << 32 | rank
    std::uint32_t next_rank_ = 0;
};

}  // namespace fugu::detail
