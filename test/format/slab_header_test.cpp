// SPDX-License-Identifier: MIT
// The slab header: round trips, and each way a header can be refused, with the error
// the store reports for it.
#include <catch2/catch.hpp>

#include "format/slab_header.hpp"
#include "format_samples.hpp"

#include <array>
#include <cstddef>

namespace fmt = fugu::detail::format;
using fugu::test::format::reseal_slab_header;

namespace {

fmt::slab_header merged_header() {
    fmt::slab_header h;
    h.kind = fmt::slab_kind::merged;
    h.slab_id = 0x1122334455667788ull;
    h.min_generation = 4;
    h.max_generation = 9;
    h.first_sequence = 12345;
    return h;
}

std::array<std::byte, fmt::slab_header_size> encoded(const fmt::slab_header& h) {
    std::array<std::byte, fmt::slab_header_size> b{};
    fmt::encode_slab_header(h, b);
    return b;
}

}  // namespace

TEST_CASE("slab headers round trip", "[format][slab_header]") {
    fmt::slab_header log;
    log.kind = fmt::slab_kind::log;
    log.slab_id = 1;
    log.min_generation = log.max_generation = 1;
    log.first_sequence = 0;
    for (const fmt::slab_header& h : {log, merged_header()}) {
        const auto b = encoded(h);
        const auto d = fmt::decode_slab_header(b);
        REQUIRE(d.status.ok());
        CHECK(d.error == fugu::errc{});
        CHECK(d.header == h);
    }
}

TEST_CASE("a slab shorter than its header is reported truncated", "[format][slab_header]") {
    const auto b = encoded(merged_header());
    for (std::size_t n = 0; n < b.size(); ++n) {
        const auto d = fmt::decode_slab_header(std::span(b).first(n));
        REQUIRE(d.status.truncated());
    }
}

TEST_CASE("a slab without the magic is not a store", "[format][slab_header]") {
    auto b = encoded(merged_header());
    b[3] = std::byte{'x'};
    auto d = fmt::decode_slab_header(b);
    CHECK(d.status.corrupt());
    CHECK(d.error == fugu::errc::not_a_store);
    // Even with a checksum that matches, the magic decides.
    reseal_slab_header(b);
    d = fmt::decode_slab_header(b);
    CHECK(d.error == fugu::errc::not_a_store);
}

TEST_CASE("every single-byte change to a slab header is detected", "[format][slab_header]") {
    const auto good = encoded(merged_header());
    for (std::size_t at = 0; at < good.size(); ++at) {
        for (unsigned mask : {0x01u, 0x80u, 0xffu}) {
            auto b = good;
            b[at] ^= std::byte(mask);
            const auto d = fmt::decode_slab_header(b);
            INFO("offset " << at << " mask " << mask);
            REQUIRE(d.status.corrupt());
            REQUIRE(d.error == (at < 8 ? fugu::errc::not_a_store : fugu::errc::corruption));
        }
    }
}

TEST_CASE("an intact header of another format version is refused as unknown",
          "[format][slab_header]") {
    auto b = encoded(merged_header());
    fmt::put_u32(b, 8, 2);
    // Damage first: without a matching checksum the version is not believed.
    auto d = fmt::decode_slab_header(b);
    CHECK(d.error == fugu::errc::corruption);
    reseal_slab_header(b);
    d = fmt::decode_slab_header(b);
    CHECK(d.status.corrupt());
    CHECK(d.error == fugu::errc::unknown_format_version);
}

TEST_CASE("slab headers with impossible fields are corruption", "[format][slab_header]") {
    auto refuse = [](auto edit) {
        auto b = encoded(merged_header());
        edit(b);
        reseal_slab_header(b);
        const auto d = fmt::decode_slab_header(b);
        CHECK(d.status.corrupt());
        CHECK(d.error == fugu::errc::corruption);
        return std::string(d.status.reason);
    };
    CHECK(refuse([](auto& b) { fmt::put_u32(b, 12, 0); }) == "unknown slab kind");
    CHECK(refuse([](auto& b) { fmt::put_u32(b, 12, 3); }) == "unknown slab kind");
    CHECK(refuse([](auto& b) { fmt::put_u64(b, 24, 10); }) ==
          "slab min_generation above max_generation");
    CHECK(refuse([](auto& b) { fmt::put_u32(b, 12, 1); }) ==
          "log slab spans more than one generation");
    for (std::size_t at = 48; at < 60; ++at) {
        CHECK(refuse([at](auto& b) { b[at] = std::byte{1}; }) ==
              "slab header reserved bytes not zero");
    }
}
