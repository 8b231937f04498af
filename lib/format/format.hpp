// SPDX-License-Identifier: MIT
// Constants of the on-disk slab format, version 1: magic, version, sizes, slab kinds,
// record types and the bounds a reader enforces before it trusts a length. Constants only;
// the encoders and decoders live beside this file and hold no state.
// See docs/format.md; change both together.
#pragma once

#include <fugu/limits.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fugu::detail::format {

// The first eight bytes of every slab file.
inline constexpr std::string_view slab_magic = "FUGUSLAB";

// Written into every slab header; a reader refuses any other value.
inline constexpr std::uint32_t format_version = 1;

inline constexpr std::size_t slab_header_size = 64;
inline constexpr std::size_t record_header_size = 40;

// Who wrote a slab. Log slabs hold one generation; merged slabs a range of them.
enum class slab_kind : std::uint32_t {
    log = 1,
    merged = 2,
};

enum class record_type : std::uint8_t {
    commit = 1,  // one change set
    seal = 2,    // the last record of a sealed slab
    sync_mark = 3,  // no body: everything before it in the slab is durable
};

// Parts of a commit body.
inline constexpr std::size_t put_entry_fixed_size = 6;     // key_length u16, value_length u32
inline constexpr std::size_t remove_entry_fixed_size = 2;  // key_length u16
inline constexpr std::size_t value_crc_size = 4;           // before each value's bytes

// A put costs at least this much of a body (empty key and value), a remove at least
// remove_entry_fixed_size, so a header's counts bound its body length from below.
inline constexpr std::size_t min_put_body_size = put_entry_fixed_size + value_crc_size;

// The seal body: record_count, data_end, min_sequence, max_sequence, all u64.
inline constexpr std::size_t seal_body_size = 32;
inline constexpr std::size_t seal_record_size = record_header_size + seal_body_size;
// A sync mark is a record header alone.
inline constexpr std::size_t sync_mark_size = record_header_size;

// The smallest commit record: one remove of an empty key.
inline constexpr std::size_t min_commit_record_size = record_header_size + remove_entry_fixed_size;

// Largest body_length a reader accepts, checked before any body byte is read or any
// buffer sized. A change set's own accounting (key and value bytes plus 16 per entry,
// at most max_change_set_size) already bounds its body; the 16-byte-per-entry slack on
// top keeps the bound from depending on how the encoder lays entries out.
inline constexpr std::size_t max_record_body =
    fugu::max_change_set_size + 16 * fugu::max_change_set_entries;

static_assert(max_record_body <= 0xffffffffu, "body_length is a u32");
static_assert(fugu::max_key_size <= 0xffffu, "key_length is a u16");
static_assert(fugu::max_value_size <= 0xffffffffu, "value_length is a u32");

}  // namespace fugu::detail::format
