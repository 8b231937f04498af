// SPDX-License-Identifier: MIT
// Slab file names: "slab-" hex16 ".fugu" [".tmp"]. Fixed width so the names sort by id
// in a directory listing, which is what a person inspecting a store expects.
#include "storage/slab_name.hpp"

namespace fugu::detail {
namespace {

constexpr std::string_view prefix = "slab-";
constexpr std::string_view suffix = ".fugu";
constexpr std::string_view temp_suffix = ".tmp";
constexpr std::size_t hex_digits = 16;

}  // namespace

std::string slab_file_name(std::uint64_t id, bool temporary) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string name;
    name.reserve(prefix.size() + hex_digits + suffix.size() + temp_suffix.size());
    name += prefix;
    for (int shift = 60; shift >= 0; shift -= 4) name += digits[(id >> shift) & 0xf];
    name += suffix;
    if (temporary) name += temp_suffix;
    return name;
}

std::optional<slab_file> parse_slab_file_name(std::string_view name) noexcept {
    if (!name.starts_with(prefix)) return std::nullopt;
    name.remove_prefix(prefix.size());
    if (name.size() < hex_digits) return std::nullopt;
    std::uint64_t id = 0;
    for (char c : name.substr(0, hex_digits)) {
        unsigned digit;
        if (c >= '0' && c <= '9') {
            digit = static_cast<unsigned>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            digit = static_cast<unsigned>(c - 'a' + 10);
        } else {
            return std::nullopt;
        }
        id = (id << 4) | digit;
    }
    name.remove_prefix(hex_digits);
    if (name == suffix) return slab_file{id, false};
    if (name.size() == suffix.size() + temp_suffix.size() && name.starts_with(suffix) &&
        name.ends_with(temp_suffix)) {
        return slab_file{id, true};
    }
    return std::nullopt;
}

}  // namespace fugu::detail
