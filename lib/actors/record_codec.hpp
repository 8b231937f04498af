// SPDX-License-Identifier: MIT
// Glue between change_set and the sans-io record format: encodes a change set as one
// commit record, and the header and seal of a log slab. Stateless.
#pragma once

#include <fugu/change_set.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fugu::detail {

// Appends the commit record of `changes` to `out`, and to `value_offsets` the offset of
// each put's value bytes relative to the start of the record, in entries() order.
void encode_commit(std::vector<std::byte>& out,
                   const change_set& changes,
                   std::uint64_t sequence,
                   std::uint64_t synced_upto,
                   std::vector<std::uint32_t>& value_offsets);

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
