// SPDX-License-Identifier: MIT
// The outcome of decoding bytes read from a slab: ok, truncated (the bytes end before
// the thing being decoded does) or corrupt (a checksum or a consistency check failed),
// with a short fixed reason fit for a diagnostics message. A value type.
#pragma once

#include <cstdint>
#include <string_view>

namespace fugu::detail::format {

enum class decode_code : std::uint8_t {
    ok,
    truncated,
    corrupt,
};

struct decode_status {
    decode_code code = decode_code::ok;
    // A string literal naming the failed check; empty when ok. Never holds key or value
    // bytes, so it may go into error messages as is.
    std::string_view reason;

    bool ok() const noexcept { return code == decode_code::ok; }
    bool truncated() const noexcept { return code == decode_code::truncated; }
    bool corrupt() const noexcept { return code == decode_code::corrupt; }
};

constexpr decode_status decode_ok() noexcept { return {}; }
constexpr decode_status decode_truncated(std::string_view why) noexcept {
    return {decode_code::truncated, why};
}
constexpr decode_status decode_corrupt(std::string_view why) noexcept {
    return {decode_code::corrupt, why};
}

}  // namespace fugu::detail::format
