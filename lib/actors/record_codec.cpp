// SPDX-License-Identifier: MIT
#include "actors/record_codec.hpp"

#include "format/slab_header.hpp"

#include <fugu/limits.hpp>

#include <stdexcept>

namespace fugu::detail {

bool commit_batch::fits(const change_set& changes) const {
    if (empty()) return true;
    if (entries_ + changes.size() > max_change_set_entries ||
        bytes_ + changes.byte_size() > max_change_set_size)
        return false;
    for (const auto& e : changes.entries())
        if (keys_.contains(e.key())) return false;
    return true;
}

void commit_batch::add(const change_set& changes, std::uint64_t sequence) {
    for (const auto& e : changes.entries()) {
        if (e.is_remove())
            removes_.push_back(e.key());
        else
            puts_.push_back({e.key(), e.value()});
        keys_.insert(e.key());
    }
    entries_ += changes.size();
    bytes_ += changes.byte_size();
    sequence_ = sequence;
}

void commit_batch::encode(std::vector<std::byte>& out, std::uint64_t synced_upto,
                          std::vector<std::uint32_t>& value_offsets,
                          std::vector<std::uint32_t>& value_lengths) {
    const std::size_t first = value_offsets.size();
    value_offsets.resize(first + puts_.size());
    auto r = format::append_commit_record(out, puts_, removes_, sequence_, synced_upto,
                                          std::span(value_offsets).subspan(first));
    // Every change set passed its limits and fits() kept the sum within them, so the
    // record is within the format's; this cannot fail.
    if (!r) throw std::logic_error("change sets outside the record limits");
    for (const auto& p : puts_) value_lengths.push_back(static_cast<std::uint32_t>(p.value.size()));
    puts_.clear();
    removes_.clear();
    keys_.clear();
    entries_ = 0;
    bytes_ = 0;
}

void encode_seal(std::vector<std::byte>& out,
                 std::uint64_t record_count,
                 std::uint64_t data_end,
                 std::uint64_t min_sequence,
                 std::uint64_t max_sequence,
                 std::uint64_t synced_upto) {
    format::seal_body seal;
    seal.record_count = record_count;
    seal.data_end = data_end;
    seal.min_sequence = min_sequence;
    seal.max_sequence = max_sequence;
    format::append_seal_record(out, seal, synced_upto);
}

std::array<std::byte, 64> log_slab_header(std::uint64_t id, std::uint64_t first_sequence) {
    format::slab_header h;
    h.kind = format::slab_kind::log;
    h.slab_id = id;
    h.min_generation = h.max_generation = id;
    h.first_sequence = first_sequence;
    std::array<std::byte, 64> bytes{};
    format::encode_slab_header(h, std::span<std::byte, 64>(bytes));
    return bytes;
}

}  // namespace fugu::detail
