// SPDX-License-Identifier: MIT
// Little-endian helpers and the bounds-checked reader.
#include <catch2/catch.hpp>

#include "format/coding.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fmt = fugu::detail::format;

TEST_CASE("integers are stored little-endian", "[format]") {
    std::array<std::byte, 15> buf{};
    fmt::put_u8(buf, 0, 0x11);
    fmt::put_u16(buf, 1, 0x2221);
    fmt::put_u32(buf, 3, 0x44434241u);
    fmt::put_u64(buf, 7, 0x8887868584838281ull);
    const std::array<unsigned, 15> want{0x11, 0x21, 0x22, 0x41, 0x42, 0x43, 0x44, 0x81,
                                        0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88};
    for (std::size_t i = 0; i < want.size(); ++i)
        CHECK(std::to_integer<unsigned>(buf[i]) == want[i]);
    CHECK(fmt::get_u8(buf, 0) == 0x11);
    CHECK(fmt::get_u16(buf, 1) == 0x2221);
    CHECK(fmt::get_u32(buf, 3) == 0x44434241u);
    CHECK(fmt::get_u64(buf, 7) == 0x8887868584838281ull);
}

TEST_CASE("the byte reader refuses to read past the end and stays put", "[format]") {
    std::array<std::byte, 7> buf{};
    fmt::put_u32(buf, 0, 0xdeadbeefu);
    fmt::byte_reader r(buf);
    std::uint32_t v32 = 0;
    REQUIRE(r.read(v32));
    CHECK(v32 == 0xdeadbeefu);
    std::uint64_t v64 = 0;
    CHECK_FALSE(r.read(v64));
    CHECK(r.position() == 4);
    std::span<const std::byte> s;
    CHECK_FALSE(r.read_bytes(4, s));
    CHECK_FALSE(r.read_bytes(0xffffffffu, s));
    CHECK_FALSE(r.skip(static_cast<std::size_t>(-1)));
    CHECK(r.position() == 4);
    REQUIRE(r.read_bytes(3, s));
    CHECK(s.size() == 3);
    CHECK(r.remaining() == 0);
    REQUIRE(r.read_bytes(0, s));
    CHECK(s.empty());
}
