// SPDX-License-Identifier: MIT
// Glue between change_set and the sans-io record format: gathers the change sets of a
// group commit into commit records, and encodes the header and seal of a log slab.
#pragma once

#include <fugu/change_set.hpp>

#include "format/record.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace fugu::detail {

// The change sets of one group commit, gathered into one commit record. They reach the
// disk in one write and are acknowledged together after it (and its fdatasync), so one
// record, all or nothing, keeps each of them atomic while its 40-byte header and CRCs
// are paid once per group instead of once per change set. The record carries the
// sequence of its last change set. Change sets are only viewed: they must outlive encode.
class commit_batch {
public:
    // Whether `changes` may join: it shares no key with the change sets already gathered
    // (keys in a record are distinct, and a record applies puts before removes, so a
    // later change to the same key must go into a later record), and the record stays
    // within the limits of one change set.
    bool fits(const change_set& changes) const;
    void add(const change_set& changes, std::uint64_t sequence);
    bool empty() const noexcept { return puts_.empty() && removes_.empty(); }
    std::uint64_t sequence() const noexcept { return sequence_; }

    // Appends the record to `out`; for each put in add order, the offset of its value
    // relative to the record's start goes to `value_offsets` and its length to
    // `value_lengths`. Then starts over, empty.
    void encode(std::vector<std::byte>& out, std::uint64_t synced_upto,
                std::vector<std::uint32_t>& value_offsets,
                std::vector<std::uint32_t>& value_lengths);

private:
    std::vector<format::put_ref> puts_;
    std::vector<std::string_view> removes_;
    std::unordered_set<std::string_view> keys_;
    std::size_t entries_ = 0;
    std::size_t bytes_ = 0;
    std::uint64_t sequence_ = 0;
};

// Appends the seal record that ends a slab whose records end at `data_end`.
void encode_seal(std::vector<std::byte>& out,
                 std::uint64_t record_count,
                 std::uint64_t data_end,
                 std::uint64_t min_sequence,
                 std::uint64_t max_sequence,
                 std::uint64_t synced_upto);

// The 64-byte header of log slab `id`, whose first record will have `first_sequence`.
std::array<std::byte, 64> log_slab_header(std::uint64_t id, std::uint64_t first_sequence);

}  // namespace fugu::detail
