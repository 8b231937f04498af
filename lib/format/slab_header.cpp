// SPDX-License-Identifier: MIT
// slab_header := magic: "FUGUSLAB"          @0
//                format_version: u32        @8   (1)
//                kind: u32                  @12  (1 log, 2 merged)
//                slab_id: u64               @16
//                min_generation: u64        @24
//                max_generation: u64        @32
//                first_sequence: u64        @40
//                reserved: 12 zero bytes    @48
//                header_crc: u32            @60  masked crc32c of bytes [0, 60)
// All integers little-endian.
#include "format/slab_header.hpp"

#include "format/coding.hpp"
#include "format/crc32c.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace fugu::detail::format {
namespace {

constexpr std::size_t version_at = 8;
constexpr std::size_t kind_at = 12;
constexpr std::size_t slab_id_at = 16;
constexpr std::size_t min_generation_at = 24;
constexpr std::size_t max_generation_at = 32;
constexpr std::size_t first_sequence_at = 40;
constexpr std::size_t reserved_at = 48;
constexpr std::size_t crc_at = 60;

static_assert(crc_at + 4 == slab_header_size);

slab_header_decode fail(fugu::errc e, std::string_view why) noexcept {
    return {decode_corrupt(why), e, {}};
}

}  // namespace

void encode_slab_header(const slab_header& h, std::span<std::byte, slab_header_size> out) noexcept {
    assert(h.kind == slab_kind::log || h.kind == slab_kind::merged);
    assert(h.min_generation <= h.max_generation);
    assert(h.kind != slab_kind::log || h.min_generation == h.max_generation);
    std::span<std::byte> o = out;
    std::memcpy(o.data(), slab_magic.data(), slab_magic.size());
    put_u32(o, version_at, format_version);
    put_u32(o, kind_at, static_cast<std::uint32_t>(h.kind));
    put_u64(o, slab_id_at, h.slab_id);
    put_u64(o, min_generation_at, h.min_generation);
    put_u64(o, max_generation_at, h.max_generation);
    put_u64(o, first_sequence_at, h.first_sequence);
    std::fill(o.begin() + reserved_at, o.begin() + crc_at, std::byte{0});
    put_u32(o, crc_at, crc32c_mask(crc32c(o.data(), crc_at)));
}

slab_header_decode decode_slab_header(std::span<const std::byte> in) noexcept {
    if (in.size() < slab_header_size) {
        return {decode_truncated("slab shorter than its header"), fugu::errc{}, {}};
    }
    if (std::memcmp(in.data(), slab_magic.data(), slab_magic.size()) != 0) {
        return fail(fugu::errc::not_a_store, "slab magic missing");
    }
    if (crc32c_unmask(get_u32(in, crc_at)) != crc32c(in.data(), crc_at)) {
        return fail(fugu::errc::corruption, "slab header checksum mismatch");
    }
    // Only now is the version believed: a damaged version byte is corruption, an intact
    // unknown one is a newer writer.
    if (get_u32(in, version_at) != format_version) {
        return fail(fugu::errc::unknown_format_version, "unknown slab format version");
    }
    slab_header h;
    const std::uint32_t kind = get_u32(in, kind_at);
    if (kind != static_cast<std::uint32_t>(slab_kind::log) &&
        kind != static_cast<std::uint32_t>(slab_kind::merged)) {
        return fail(fugu::errc::corruption, "unknown slab kind");
    }
    h.kind = static_cast<slab_kind>(kind);
    h.slab_id = get_u64(in, slab_id_at);
    h.min_generation = get_u64(in, min_generation_at);
    h.max_generation = get_u64(in, max_generation_at);
    h.first_sequence = get_u64(in, first_sequence_at);
    if (h.min_generation > h.max_generation) {
        return fail(fugu::errc::corruption, "slab min_generation above max_generation");
    }
    if (h.kind == slab_kind::log && h.min_generation != h.max_generation) {
        return fail(fugu::errc::corruption, "log slab spans more than one generation");
    }
    for (std::size_t i = reserved_at; i < crc_at; ++i) {
        if (in[i] != std::byte{0})
            return fail(fugu::errc::corruption, "slab header reserved bytes not zero");
    }
    return {decode_ok(), fugu::errc{}, h};
}

}  // namespace fugu::detail::format
