// SPDX-License-Identifier: MIT
// The 64-byte header at offset 0 of every slab: what kind of slab it is, its id, the
// generations it covers and the lowest sequence it may hold. Pure encoding and decoding
// of values; no I/O, no state.
#pragma once

#include "format/decode_status.hpp"
#include "format/format.hpp"

#include <fugu/error.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace fugu::detail::format {

struct slab_header {
    slab_kind kind = slab_kind::log;
    std::uint64_t slab_id = 0;         // also in the file name; the two must match
    std::uint64_t min_generation = 0;  // a log slab has min_generation == max_generation
    std::uint64_t max_generation = 0;
    // No record in the slab has a lower sequence. For a log slab, the next sequence
    // number when it was created, so sequences never go back even if compaction removes
    // every record.
    std::uint64_t first_sequence = 0;

    friend bool operator==(const slab_header&, const slab_header&) = default;
};

// REQUIRES: h.kind is log or merged; h.min_generation <= h.max_generation, and equal for
// a log slab (the decoder rejects anything else).
void encode_slab_header(const slab_header& h, std::span<std::byte, slab_header_size> out) noexcept;

struct slab_header_decode {
    // truncated: fewer than slab_header_size bytes. corrupt: see `error`.
    decode_status status;
    // When corrupt: errc::not_a_store (wrong magic), errc::unknown_format_version (a
    // checksummed header of another version) or errc::corruption (anything else).
    // errc{} otherwise.
    fugu::errc error{};
    slab_header header;  // meaningful only when status.ok()
};

// Checks, in order: size, magic, header CRC, version, kind, generations, reserved bytes.
// Reads only the first slab_header_size bytes of `in`.
slab_header_decode decode_slab_header(std::span<const std::byte> in) noexcept;

}  // namespace fugu::detail::format
