// SPDX-License-Identifier: MIT
// The names file_storage gives the files in a store directory, and their strict parser.
// Only names this module produces are ever treated as slabs; everything else in the
// directory belongs to someone else and is left alone. Pure functions, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fugu::detail {

// The file whose OFD lock marks the store as open. Never deleted.
inline constexpr std::string_view lock_file_name = "LOCK";

struct slab_file {
    std::uint64_t id = 0;
    bool temporary = false;  // the ".tmp" name of an unpublished compaction output

    friend bool operator==(const slab_file&, const slab_file&) = default;
};

// "slab-<16 lowercase hex digits>.fugu", plus ".tmp" for a temporary slab.
std::string slab_file_name(std::uint64_t id, bool temporary);

// The inverse of slab_file_name, and nothing more lenient: upper-case digits, other
// lengths, prefixes or suffixes give nullopt.
std::optional<slab_file> parse_slab_file_name(std::string_view name) noexcept;

}  // namespace fugu::detail
