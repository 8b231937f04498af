// SPDX-License-Identifier: MIT
// The documented size limits of keys, values and change sets. Exceeding one is an error
// (errc::key_too_large, value_too_large, change_set_too_large), never a truncation.
#pragma once

#include <cstddef>

namespace fugu {

/// Longest key, in bytes. Keys of 0 bytes are allowed. The in-RAM index stores keys in
/// fixed-size pages; this bound keeps several keys on every page.
inline constexpr std::size_t max_key_size = 1024;

/// Longest value, in bytes. Values of 0 bytes are values (not removals).
inline constexpr std::size_t max_value_size = std::size_t{64} << 20;  // 64 MiB

/// Most bytes one change set may hold: the sum of its key and value sizes plus 16 bytes
/// per entry. A change set is written as one record, so it is also the largest record.
inline constexpr std::size_t max_change_set_size = std::size_t{128} << 20;  // 128 MiB

/// Most entries (puts plus removes) in one change set.
inline constexpr std::size_t max_change_set_entries = std::size_t{1} << 20;

}  // namespace fugu
