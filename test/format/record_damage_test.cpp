// SPDX-License-Identifier: MIT
// Damaged and hostile records: every truncation, every single-byte change, and length
// fields that lie behind valid checksums. The decoder must say truncated or corrupt,
// never ok, never read outside the bytes it was given (ASan builds check that part).
#include <catch2/catch.hpp>

#include "format/record.hpp"
#include "format/record_scanner.hpp"
#include "format_samples.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

namespace fmt = fugu::detail::format;
namespace ft = fugu::test::format;

namespace {

// Decodes the one record at the start of `bytes` as recovery would.
fmt::decode_status decode_whole(std::span<const std::byte> bytes) {
    const auto h = fmt::decode_record_header(bytes);
    if (!h.status.ok()) return h.status;
    const auto body = bytes.subspan(fmt::record_header_size);
    if (h.header.type == fmt::record_type::seal)
        return fmt::decode_seal_body(h.header, body).status;
    return fmt::decode_commit_body(h.header, body, [](const auto&) {});
}

std::vector<std::vector<std::byte>> sample_records() {
    std::vector<std::vector<std::byte>> r;
    ft::sample_change_set cs;
    cs.put_keys = {"alpha", "", std::string(3, '\0')};
    cs.put_values = {"one", std::string(40, 'x'), ""};
    cs.remove_keys = {"gone", "also gone"};
    r.emplace_back();
    ft::append_commit(r.back(), cs, 77, 640);
    r.emplace_back();
    ft::append_commit(r.back(), ft::example_change_set(), 1, 64);
    r.emplace_back();
    fmt::append_seal_record(r.back(), fmt::seal_body{2, 4096, 76, 77}, 4096);
    return r;
}

// A commit header for one put with a hand-made body, checksums made to match.
std::vector<std::byte> forged_commit(std::uint32_t puts,
                                     std::uint32_t removes,
                                     std::uint32_t body_length,
                                     std::span<const std::byte> body) {
    std::vector<std::byte> rec(fmt::record_header_size + body.size());
    std::copy(body.begin(), body.end(), rec.begin() + fmt::record_header_size);
    fmt::put_u8(rec, 4, 1);
    fmt::put_u32(rec, 8, body_length);
    fmt::put_u64(rec, 16, 1);
    fmt::put_u32(rec, 32, puts);
    fmt::put_u32(rec, 36, removes);
    ft::reseal_record(rec);
    return rec;
}

}  // namespace

TEST_CASE("every truncation of a record is reported as truncated", "[format][record]") {
    for (const auto& rec : sample_records()) {
        REQUIRE(decode_whole(rec).ok());
        for (std::size_t n = 0; n < rec.size(); ++n) {
            // A copy of exactly n bytes, so ASan sees any read past them.
            const std::vector<std::byte> cut(rec.begin(),
                                             rec.begin() + static_cast<std::ptrdiff_t>(n));
            INFO("kept " << n << " of " << rec.size());
            REQUIRE(decode_whole(cut).truncated());
        }
    }
}

TEST_CASE("every single-byte change to a record is detected", "[format][record]") {
    for (const auto& rec : sample_records()) {
        for (std::size_t at = 0; at < rec.size(); ++at) {
            for (unsigned mask : {0x01u, 0x80u, 0xffu}) {
                auto bad = rec;
                bad[at] ^= std::byte(mask);
                const auto s = decode_whole(bad);
                INFO("offset " << at << " mask " << mask << ": " << s.reason);
                // A changed body_length may make the record look longer than the bytes
                // given (truncated) or shorter; either way it must not decode.
                REQUIRE_FALSE(s.ok());
            }
        }
    }
}

TEST_CASE("header length fields that lie are refused before the body is looked at",
          "[format][record]") {
    // No body bytes at all: a decoder that trusted any of these would read past the end.
    auto reason = [](std::uint32_t puts, std::uint32_t removes, std::uint32_t body_length) {
        const auto rec = forged_commit(puts, removes, body_length, {});
        const auto h = fmt::decode_record_header(rec);
        CHECK(h.status.corrupt());
        return std::string(h.status.reason);
    };
    CHECK(reason(1, 0, 0xffffffffu) == "body length out of range");
    CHECK(reason(1, 0, static_cast<std::uint32_t>(fmt::max_record_body + 1)) ==
          "body length out of range");
    CHECK(reason(0xffffffffu, 0, 100) == "commit entry count out of range");
    CHECK(reason(0, 0xffffffffu, 100) == "commit entry count out of range");
    CHECK(reason(0x80000000u, 0x80000000u, 100) == "commit entry count out of range");
    CHECK(reason(0, 0, 100) == "commit entry count out of range");
    CHECK(reason(static_cast<std::uint32_t>(fugu::max_change_set_entries), 1, 0xffffffu) ==
          "commit entry count out of range");
    CHECK(reason(1000, 0, 9999) == "body length too small for its entry counts");

    // Seal headers with lengths or counts they cannot have.
    std::vector<std::byte> seal;
    fmt::append_seal_record(seal, fmt::seal_body{0, 64, 1, 0}, 0);
    auto seal_reason = [&](std::size_t at, std::uint32_t v) {
        auto bad = seal;
        fmt::put_u32(bad, at, v);
        ft::reseal_record(bad, false);
        const auto h = fmt::decode_record_header(bad);
        CHECK(h.status.corrupt());
        return std::string(h.status.reason);
    };
    CHECK(seal_reason(8, 0xffffffffu) == "seal body length wrong");
    CHECK(seal_reason(32, 1) == "seal record with entries");
    CHECK(seal_reason(36, 0xffffffffu) == "seal record with entries");

    // A believable header whose body is not all there is truncated, not read.
    const auto rec = forged_commit(1, 0, 0x00ffffffu, {});
    const auto h = fmt::decode_record_header(rec);
    REQUIRE(h.status.ok());
    const std::array<std::byte, 10> tiny{};
    CHECK(fmt::check_commit_body(h.header, tiny).truncated());
}

TEST_CASE("body length fields that lie behind a valid checksum are corrupt", "[format][record]") {
    auto reason = [](std::uint32_t puts, std::uint32_t removes, std::vector<std::byte> body) {
        const auto rec =
            forged_commit(puts, removes, static_cast<std::uint32_t>(body.size()), body);
        const auto h = fmt::decode_record_header(rec);
        REQUIRE(h.status.ok());
        int visited = 0;
        const auto s = fmt::decode_commit_body(h.header, std::span(rec).subspan(40),
                                               [&](const auto&) { ++visited; });
        CHECK(s.corrupt());
        CHECK(visited == 0);
        return std::string(s.reason);
    };
    auto body = [](std::initializer_list<std::pair<int, std::uint64_t>> fields, std::size_t pad) {
        std::vector<std::byte> b;
        for (auto [width, v] : fields) {
            for (int i = 0; i < width; ++i) b.push_back(static_cast<std::byte>(v >> (8 * i)));
        }
        b.resize(b.size() + pad);
        return b;
    };
    // key_length 1000 with ten bytes of body.
    CHECK(reason(1, 0, body({{2, 1000}, {4, 0}}, 4)) == "key past body end");
    // value_length of nearly 4 GiB.
    CHECK(reason(1, 0, body({{2, 0}, {4, 0xfffffff0u}}, 4)) == "value length out of range");
    // value_length allowed but more than the body holds.
    CHECK(reason(1, 0, body({{2, 0}, {4, 1000}}, 4)) == "entry lengths disagree with body length");
    // A key longer than max_key_size, with the bytes present.
    CHECK(reason(1, 0, body({{2, fugu::max_key_size + 1}, {4, 0}}, fugu::max_key_size + 1 + 4)) ==
          "key length out of range");
    CHECK(reason(0, 1, body({{2, fugu::max_key_size + 1}}, fugu::max_key_size + 1)) ==
          "key length out of range");
    // Bytes left over after the last value.
    CHECK(reason(1, 0, body({{2, 0}, {4, 0}}, 4 + 3)) == "entry lengths disagree with body length");
    // A remove whose key runs off the end.
    CHECK(reason(1, 1, body({{2, 0}, {4, 0}, {2, 9}}, 4)) == "key past body end");
    // The remove entry's length field itself is missing: body length is the minimum for
    // the counts, but the put's key ate the room.
    CHECK(reason(1, 1, body({{2, 6}, {4, 0}}, 6)) == "remove entry past body end");
}

TEST_CASE("random records with valid checksums never decode outside their bytes",
          "[format][record]") {
    std::mt19937_64 rng(99);
    for (int round = 0; round < 20000; ++round) {
        const std::size_t body_size = rng() % 64;
        std::vector<std::byte> rec(fmt::record_header_size + body_size);
        for (auto& b : rec) b = static_cast<std::byte>(rng());
        // Plausible header fields, so decoding gets past the header often.
        fmt::put_u8(rec, 4, static_cast<std::uint8_t>(1 + rng() % 2));
        fmt::put_u8(rec, 5, 0);
        fmt::put_u16(rec, 6, 0);
        fmt::put_u32(rec, 8, static_cast<std::uint32_t>(rng() % 2 ? body_size : rng() % 80));
        fmt::put_u32(rec, 32, static_cast<std::uint32_t>(rng() % 4));
        fmt::put_u32(rec, 36, static_cast<std::uint32_t>(rng() % 4));
        for (std::size_t i = 0; i < body_size; i += 2 + rng() % 5) {
            rec[fmt::record_header_size + i] = static_cast<std::byte>(rng() % 8);
        }
        ft::reseal_record(rec);
        const auto body = std::span<const std::byte>(rec).subspan(fmt::record_header_size);
        const auto h = fmt::decode_record_header(rec);
        if (!h.status.ok() || h.header.type != fmt::record_type::commit) continue;
        std::uint64_t value_bytes = 0;
        const auto s = fmt::decode_commit_body(h.header, body, [&](const auto& e) {
            using entry = std::decay_t<decltype(e)>;
            REQUIRE(e.key.data() >= reinterpret_cast<const char*>(body.data()));
            REQUIRE(e.key.data() + e.key.size() <=
                    reinterpret_cast<const char*>(body.data() + body.size()));
            if constexpr (std::is_same_v<entry, fmt::put_view>) {
                REQUIRE(std::uint64_t{e.value_offset_in_body} + e.value_length <=
                        h.header.body_length);
                value_bytes += e.value_length;
            }
        });
        if (s.ok()) CHECK(value_bytes <= h.header.body_length);
    }
}
