// SPDX-License-Identifier: MIT
// Blocks of bytes shaped like Fugu records, so the benchmark writes what a store writes:
// back-to-back 140-byte records of a 40-byte head (checksum, lengths, a 32-byte key) and
// a 100-byte value, cut off where the block ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fugu::perf {

inline std::vector<std::byte> record_blocks(std::size_t size, std::uint32_t seed) {
    constexpr std::size_t head = 40;
    constexpr std::size_t value = 100;
    std::vector<std::byte> out(size);
    std::uint32_t x = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < size; ++i) {
        const std::size_t at = i % (head + value);
        x = x * 1664525u + 1013904223u;
        std::uint8_t b;
        if (at < 4) {
            b = static_cast<std::uint8_t>(x >> 24);  // checksum: looks random
        } else if (at < 8) {
            const std::uint32_t lens = (32u << 16) | value;  // key and value lengths
            b = static_cast<std::uint8_t>(lens >> (8 * (at - 4)));
        } else if (at < head) {
            b = static_cast<std::uint8_t>('a' + (x >> 27) % 26);  // printable key
        } else {
            b = static_cast<std::uint8_t>(x >> 16);
        }
        out[i] = std::byte{b};
    }
    return out;
}

}  // namespace fugu::perf
