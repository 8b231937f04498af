// SPDX-License-Identifier: MIT
// Commit and seal records: what the encoder writes, the decoder gives back, including
// the edges of every limit, and the value positions a read later relies on.
#include <catch2/catch.hpp>

#include "format/record.hpp"
#include "format_samples.hpp"

#include <boost/system/errc.hpp>

#include <random>
#include <string>
#include <vector>

namespace fmt = fugu::detail::format;
namespace ft = fugu::test::format;

namespace {

struct decoded_commit {
    std::vector<std::string> put_keys;
    std::vector<std::uint32_t> value_offsets;  // within the body
    std::vector<std::uint32_t> value_lengths;
    std::vector<std::string> remove_keys;
};

struct collect {
    decoded_commit* out;
    void operator()(const fmt::put_view& p) const {
        out->put_keys.emplace_back(p.key);
        out->value_offsets.push_back(p.value_offset_in_body);
        out->value_lengths.push_back(p.value_length);
    }
    void operator()(const fmt::remove_view& r) const { out->remove_keys.emplace_back(r.key); }
};

// Decodes the one record at the start of `record` and checks it against `cs` and the
// encoder's value offsets.
void check_round_trip(std::span<const std::byte> record,
                      const ft::sample_change_set& cs,
                      const std::vector<std::uint32_t>& encoder_offsets,
                      std::uint64_t sequence,
                      std::uint64_t synced_upto) {
    const auto h = fmt::decode_record_header(record);
    REQUIRE(h.status.ok());
    CHECK(h.header.type == fmt::record_type::commit);
    CHECK(h.header.sequence == sequence);
    CHECK(h.header.synced_upto == synced_upto);
    CHECK(h.header.put_count == cs.put_keys.size());
    CHECK(h.header.remove_count == cs.remove_keys.size());
    REQUIRE(h.header.record_size() == record.size());

    const auto body = record.subspan(fmt::record_header_size);
    decoded_commit d;
    const auto status = fmt::decode_commit_body(h.header, body, collect{&d});
    REQUIRE(status.ok());
    REQUIRE(d.put_keys == cs.put_keys);
    REQUIRE(d.remove_keys == cs.remove_keys);
    for (std::size_t i = 0; i < cs.put_keys.size(); ++i) {
        REQUIRE(encoder_offsets[i] == fmt::record_header_size + d.value_offsets[i]);
        REQUIRE(d.value_lengths[i] == cs.put_values[i].size());
        const auto value = record.subspan(encoder_offsets[i], d.value_lengths[i]);
        REQUIRE(fmt::as_chars(value) == cs.put_values[i]);
        // What a read fetches: [offset - 4, offset + length).
        const auto block = record.subspan(encoder_offsets[i] - fmt::value_crc_size,
                                          fmt::value_crc_size + d.value_lengths[i]);
        REQUIRE(fmt::verify_value_block(block).ok());
    }
}

}  // namespace

TEST_CASE("random commit records round trip", "[format][record]") {
    std::mt19937_64 rng(20240611);
    for (int round = 0; round < 300; ++round) {
        const auto cs = ft::random_change_set(rng);
        const std::uint64_t sequence = rng();
        const std::uint64_t synced_upto = rng() % 100000;
        std::vector<std::byte> out;
        const auto offsets = ft::append_commit(out, cs, sequence, synced_upto);
        const auto size = fmt::commit_record_size(cs.puts(), cs.removes());
        REQUIRE(size);
        REQUIRE(*size == out.size());
        check_round_trip(out, cs, offsets, sequence, synced_upto);
    }
}

TEST_CASE("commit records carry empty keys, empty values, NUL bytes and max-size keys",
          "[format][record]") {
    ft::sample_change_set cs;
    cs.put_keys = {"", std::string(fugu::max_key_size, '\xff'), std::string("\0a\0", 3)};
    cs.put_values = {"", std::string(5, '\0'), "v"};
    cs.remove_keys = {std::string(fugu::max_key_size, '\0'), std::string(1, '\0')};
    std::vector<std::byte> out;
    const auto offsets = ft::append_commit(out, cs, 1, 0);
    check_round_trip(out, cs, offsets, 1, 0);
}

TEST_CASE("a commit record holding a max-size value round trips", "[format][record]") {
    ft::sample_change_set cs;
    cs.put_keys = {"big"};
    cs.put_values = {std::string(fugu::max_value_size, 'z')};
    cs.put_values[0][12345] = '\0';
    std::vector<std::byte> out;
    const auto offsets = ft::append_commit(out, cs, 9, 64);
    check_round_trip(out, cs, offsets, 9, 64);
}

TEST_CASE("appending a record leaves the bytes before it alone", "[format][record]") {
    std::vector<std::byte> out = ft::bytes_of("prefix");
    const auto cs = ft::example_change_set();
    const auto offsets = ft::append_commit(out, cs, 5, 6);
    CHECK(fmt::as_chars(std::span(out).first(6)) == "prefix");
    check_round_trip(std::span(out).subspan(6), cs, offsets, 5, 6);
}

TEST_CASE("the encoder refuses what the decoder would reject, and leaves the buffer alone",
          "[format][record]") {
    auto refused = [](std::span<const fmt::put_ref> puts,
                      std::span<const std::string_view> removes) {
        std::vector<std::byte> out = ft::bytes_of("x");
        std::vector<std::uint32_t> offsets(puts.size());
        const auto r = fmt::append_commit_record(out, puts, removes, 1, 0, offsets);
        CHECK(out.size() == 1);
        REQUIRE_FALSE(r);
        CHECK(fmt::commit_record_size(puts, removes).error() == r.error());
        return r.error();
    };
    const std::string long_key(fugu::max_key_size + 1, 'k');
    const std::string huge_value(fugu::max_value_size + 1, 'v');
    const std::string_view max_value(huge_value.data(), fugu::max_value_size);

    CHECK(refused({}, {}) == boost::system::errc::invalid_argument);
    const std::vector<fmt::put_ref> long_put{{long_key, ""}};
    CHECK(refused(long_put, {}) == fugu::errc::key_too_large);
    const std::vector<std::string_view> long_remove{long_key};
    CHECK(refused({}, long_remove) == fugu::errc::key_too_large);
    const std::vector<fmt::put_ref> huge_put{{"k", huge_value}};
    CHECK(refused(huge_put, {}) == fugu::errc::value_too_large);
    const std::vector<fmt::put_ref> three_max{{"a", max_value}, {"b", max_value}, {"c", max_value}};
    CHECK(refused(three_max, {}) == fugu::errc::change_set_too_large);
    const std::vector<std::string_view> too_many(fugu::max_change_set_entries + 1);
    CHECK(refused({}, too_many) == fugu::errc::change_set_too_large);

    // Exactly at the entry limit is fine.
    const std::span<const std::string_view> at_limit(too_many.data(), fugu::max_change_set_entries);
    const auto size = fmt::commit_record_size({}, at_limit);
    REQUIRE(size);
    CHECK(*size == fmt::record_header_size + 2 * fugu::max_change_set_entries);
}

TEST_CASE("seal records round trip", "[format][record]") {
    fmt::seal_body seal{3, 4096, 17, 19};
    std::vector<std::byte> out;
    fmt::append_seal_record(out, seal, 4000);
    REQUIRE(out.size() == fmt::seal_record_size);
    const auto h = fmt::decode_record_header(out);
    REQUIRE(h.status.ok());
    CHECK(h.header.type == fmt::record_type::seal);
    CHECK(h.header.sequence == 19);
    CHECK(h.header.synced_upto == 4000);
    CHECK(h.header.body_length == fmt::seal_body_size);
    const auto d = fmt::decode_seal_body(h.header, std::span(out).subspan(fmt::record_header_size));
    REQUIRE(d.status.ok());
    CHECK(d.seal == seal);

    // An empty slab's seal: max_sequence sits below min_sequence.
    fmt::seal_body empty{0, 64, 10, 9};
    out.clear();
    fmt::append_seal_record(out, empty, 0);
    const auto he = fmt::decode_record_header(out);
    REQUIRE(he.status.ok());
    const auto de =
        fmt::decode_seal_body(he.header, std::span(out).subspan(fmt::record_header_size));
    REQUIRE(de.status.ok());
    CHECK(de.seal == empty);
}

TEST_CASE("seal bodies that contradict themselves are corrupt", "[format][record]") {
    auto reason = [](fmt::seal_body seal, std::uint64_t header_sequence) {
        std::vector<std::byte> out;
        fmt::append_seal_record(out, seal, 0);
        fmt::put_u64(out, 16, header_sequence);
        ft::reseal_record(out);
        const auto h = fmt::decode_record_header(out);
        REQUIRE(h.status.ok());
        const auto d =
            fmt::decode_seal_body(h.header, std::span(out).subspan(fmt::record_header_size));
        CHECK(d.status.corrupt());
        return std::string(d.status.reason);
    };
    CHECK(reason({1, 200, 5, 5}, 6) == "seal sequence disagrees with its body");
    CHECK(reason({1, 63, 5, 5}, 5) == "seal data_end inside the slab header");
    CHECK(reason({4, 64 + 3 * fmt::min_commit_record_size, 1, 9}, 9) ==
          "seal record_count too large for data_end");
    CHECK(reason({2, 500, 9, 8}, 8) == "seal min_sequence above max_sequence");
}

TEST_CASE("value blocks are checked as a read fetches them", "[format][record]") {
    std::vector<std::byte> out;
    const auto cs = ft::example_change_set();
    const auto offsets = ft::append_commit(out, cs, 1, 0);
    const auto block = std::span(out).subspan(offsets[0] - 4, 4 + cs.put_values[0].size());
    CHECK(fmt::verify_value_block(block).ok());
    for (std::size_t n = 0; n < fmt::value_crc_size; ++n) {
        CHECK(fmt::verify_value_block(block.first(n)).truncated());
    }
    // A read of the wrong length is a mismatch too, never a silent short value.
    CHECK(fmt::verify_value_block(block.first(block.size() - 1)).corrupt());
    for (std::size_t at = 0; at < block.size(); ++at) {
        auto copy = std::vector<std::byte>(block.begin(), block.end());
        copy[at] ^= std::byte{0x01};
        const auto s = fmt::verify_value_block(copy);
        REQUIRE(s.corrupt());
        CHECK(s.reason == "value checksum mismatch");
    }
}
