// SPDX-License-Identifier: MIT
// CRC32C against the published check values (RFC 3720 appendix B.4 and the usual
// "123456789" check), for the table code and, where the CPU has it, the SSE4.2 code.
#include <catch2/catch.hpp>

#include "format/crc32c.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

namespace fmt = fugu::detail::format;

namespace {

using extend_fn = std::uint32_t (*)(std::uint32_t, const void*, std::size_t) noexcept;

struct implementation {
    std::string_view name;
    extend_fn extend;
};

std::vector<implementation> implementations() {
    std::vector<implementation> r{{"slice-by-8", &fmt::crc32c_extend_portable},
                                  {"dispatch", &fmt::crc32c_extend}};
    if (fmt::crc32c_hardware_available()) r.push_back({"sse4.2", &fmt::crc32c_extend_hardware});
    return r;
}

}  // namespace

TEST_CASE("crc32c gives the standard check values", "[format][crc32c]") {
    if (!fmt::crc32c_hardware_available()) WARN("no SSE4.2 here: only the table code is checked");
    for (const implementation& impl : implementations()) {
        INFO(impl.name);
        auto crc = [&](const void* p, std::size_t n) { return impl.extend(0, p, n); };

        CHECK(crc("123456789", 9) == 0xe3069283u);
        CHECK(crc("", 0) == 0u);

        std::array<unsigned char, 32> buf{};
        CHECK(crc(buf.data(), buf.size()) == 0x8a9136aau);
        buf.fill(0xff);
        CHECK(crc(buf.data(), buf.size()) == 0x62a8ab43u);
        for (unsigned i = 0; i < 32; ++i) buf[i] = static_cast<unsigned char>(i);
        CHECK(crc(buf.data(), buf.size()) == 0x46dd794eu);
        for (unsigned i = 0; i < 32; ++i) buf[i] = static_cast<unsigned char>(31 - i);
        CHECK(crc(buf.data(), buf.size()) == 0x113fdb5cu);

        // An iSCSI read command PDU, RFC 3720 B.4.
        const std::array<unsigned char, 48> iscsi{
            0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
            0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
        CHECK(crc(iscsi.data(), iscsi.size()) == 0xd9963a56u);
    }
}

TEST_CASE("crc32c extended piece by piece equals crc32c of the whole", "[format][crc32c]") {
    std::mt19937_64 rng(42);
    std::vector<unsigned char> data(1000);
    for (auto& b : data) b = static_cast<unsigned char>(rng());
    for (const implementation& impl : implementations()) {
        INFO(impl.name);
        const std::uint32_t whole = impl.extend(0, data.data(), data.size());
        for (int round = 0; round < 200; ++round) {
            std::size_t a = rng() % data.size();
            std::size_t b = rng() % data.size();
            if (a > b) std::swap(a, b);
            std::uint32_t c = impl.extend(0, data.data(), a);
            c = impl.extend(c, data.data() + a, b - a);
            c = impl.extend(c, data.data() + b, data.size() - b);
            REQUIRE(c == whole);
        }
    }
}

TEST_CASE("hardware and table crc32c agree at every length and alignment", "[format][crc32c]") {
    if (!fmt::crc32c_hardware_available()) {
        WARN("no SSE4.2 here: nothing to compare");
        return;
    }
    std::mt19937_64 rng(7);
    std::vector<unsigned char> data(600);
    for (auto& b : data) b = static_cast<unsigned char>(rng());
    for (std::size_t start = 0; start < 16; ++start) {
        for (std::size_t n = 0; start + n <= 300; ++n) {
            const std::uint32_t seed = static_cast<std::uint32_t>(rng());
            REQUIRE(fmt::crc32c_extend_hardware(seed, data.data() + start, n) ==
                    fmt::crc32c_extend_portable(seed, data.data() + start, n));
        }
    }
}

TEST_CASE("crc32c masking is invertible and moves the value", "[format][crc32c]") {
    const std::uint32_t crc = fmt::crc32c("foo", 3);
    CHECK(fmt::crc32c_mask(crc) != crc);
    CHECK(fmt::crc32c_mask(fmt::crc32c_mask(crc)) != fmt::crc32c_mask(crc));
    CHECK(fmt::crc32c_unmask(fmt::crc32c_mask(crc)) == crc);
    CHECK(fmt::crc32c_unmask(fmt::crc32c_unmask(fmt::crc32c_mask(fmt::crc32c_mask(crc)))) == crc);
    std::mt19937 rng(3);
    for (int i = 0; i < 1000; ++i) {
        const std::uint32_t v = rng();
        REQUIRE(fmt::crc32c_unmask(fmt::crc32c_mask(v)) == v);
    }
    static_assert(fmt::crc32c_unmask(fmt::crc32c_mask(0u)) == 0u);
}

TEST_CASE("crc32c says which implementation it uses", "[format][crc32c]") {
    const std::string_view name = fmt::crc32c_implementation();
    CHECK(name == (fmt::crc32c_hardware_available() ? "sse4.2" : "slice-by-8"));
}
