// SPDX-License-Identifier: MIT
// CRC32C (Castagnoli), the checksum of every slab header, record header, record body and
// value. Uses the SSE4.2 crc32 instruction when the CPU has it, a slice-by-8 table
// otherwise; both give the same results. Stateless and safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fugu::detail::format {

// Extends `crc` (the crc32c of some bytes A) to the crc32c of A followed by p[0, n).
// crc32c_extend(0, p, n) == crc32c(p, n).
std::uint32_t crc32c_extend(std::uint32_t crc, const void* p, std::size_t n) noexcept;

inline std::uint32_t crc32c(const void* p, std::size_t n) noexcept {
    return crc32c_extend(0, p, n);
}

// Stored CRCs are masked. Computing a CRC over bytes that hold CRCs of their own parts
// (a record header holds the body's CRC; a body holds each value's CRC) is weak: the CRC
// of a string with its own CRC appended is a constant, so some damage that moves bytes
// around can leave a matching pair. Rotating and adding a constant breaks that relation.
// Same transform as LevelDB.
inline constexpr std::uint32_t crc32c_mask_delta = 0xa282ead8u;

constexpr std::uint32_t crc32c_mask(std::uint32_t crc) noexcept {
    return ((crc >> 15) | (crc << 17)) + crc32c_mask_delta;
}

constexpr std::uint32_t crc32c_unmask(std::uint32_t masked) noexcept {
    const std::uint32_t rot = masked - crc32c_mask_delta;
    return (rot >> 17) | (rot << 15);
}

// "sse4.2" or "slice-by-8": which implementation crc32c_extend uses on this machine.
std::string_view crc32c_implementation() noexcept;

// The two implementations, for tests and benchmarks. crc32c_extend_hardware may be
// called only when crc32c_hardware_available() is true.
std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* p, std::size_t n) noexcept;
std::uint32_t crc32c_extend_hardware(std::uint32_t crc, const void* p, std::size_t n) noexcept;
bool crc32c_hardware_available() noexcept;

}  // namespace fugu::detail::format
