// SPDX-License-Identifier: MIT
// CRC32C: the reflected Castagnoli polynomial 0x82f63b78, initial value and final xor
// 0xffffffff (the "standard" CRC-32C of iSCSI, ext4 and LevelDB). The choice between
// hardware and table is made once, on first use.
#include "format/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define FUGU_CRC32C_SSE42 1
#else
#define FUGU_CRC32C_SSE42 0
#endif

namespace fugu::detail::format {
namespace {

constexpr std::uint32_t polynomial = 0x82f63b78u;

// tables[0] is the classic byte-at-a-time table; tables[k][b] is the CRC of byte b
// followed by k zero bytes, which lets eight input bytes be folded in per step.
using crc_tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr crc_tables make_tables() {
    crc_tables t{};
    for (std::uint32_t b = 0; b < 256; ++b) {
        std::uint32_t c = b;
        for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1u) ? polynomial : 0u);
        t[0][b] = c;
    }
    for (std::size_t k = 1; k < 8; ++k) {
        for (std::size_t b = 0; b < 256; ++b)
            t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xffu];
    }
    return t;
}

constexpr crc_tables tables = make_tables();

// Assembles little-endian words byte by byte, so the table code is right on any host.
std::uint32_t load_le32(const unsigned char* p) noexcept {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
           std::uint32_t{p[3]} << 24;
}

#if FUGU_CRC32C_SSE42
__attribute__((target("sse4.2"))) std::uint32_t extend_sse42(std::uint32_t crc,
                                                             const unsigned char* p,
                                                             std::size_t n) noexcept {
    std::uint64_t c = ~crc;
    for (; n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7u) != 0; --n, ++p) {
        c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p);
    }
    for (; n >= 8; n -= 8, p += 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
    }
    for (; n > 0; --n, ++p) c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p);
    return ~static_cast<std::uint32_t>(c);
}
#endif

using extend_fn = std::uint32_t (*)(std::uint32_t, const void*, std::size_t) noexcept;

extend_fn choose() noexcept {
    return crc32c_hardware_available() ? &crc32c_extend_hardware : &crc32c_extend_portable;
}

}  // namespace

std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t n) noexcept {
    const auto* p = static_cast<const unsigned char*>(data);
    std::uint32_t c = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        const std::uint32_t lo = load_le32(p) ^ c;
        const std::uint32_t hi = load_le32(p + 4);
        c = tables[7][lo & 0xffu] ^ tables[6][(lo >> 8) & 0xffu] ^ tables[5][(lo >> 16) & 0xffu] ^
            tables[4][lo >> 24] ^ tables[3][hi & 0xffu] ^ tables[2][(hi >> 8) & 0xffu] ^
            tables[1][(hi >> 16) & 0xffu] ^ tables[0][hi >> 24];
    }
    for (; n > 0; --n, ++p) c = (c >> 8) ^ tables[0][(c ^ *p) & 0xffu];
    return ~c;
}

bool crc32c_hardware_available() noexcept {
#if FUGU_CRC32C_SSE42
    return __builtin_cpu_supports("sse4.2");
#else
    return false;
#endif
}

std::uint32_t crc32c_extend_hardware(std::uint32_t crc, const void* data, std::size_t n) noexcept {
#if FUGU_CRC32C_SSE42
    return extend_sse42(crc, static_cast<const unsigned char*>(data), n);
#else
    // Unreachable by contract (crc32c_hardware_available() is false); stay correct anyway.
    return crc32c_extend_portable(crc, data, n);
#endif
}

std::uint32_t crc32c_extend(std::uint32_t crc, const void* p, std::size_t n) noexcept {
    static const extend_fn impl = choose();
    return impl(crc, p, n);
}

std::string_view crc32c_implementation() noexcept {
    return crc32c_hardware_available() ? "sse4.2" : "slice-by-8";
}

}  // namespace fugu::detail::format
