// SPDX-License-Identifier: MIT
// Pins the exact bytes of the worked example in docs/format.md: a log slab header, one
// commit record (put "fruit" = "apple", remove "old") and the seal. If this fails, the
// format changed: bump format_version and update the document, or undo the change.
#include <catch2/catch.hpp>

#include "format/record.hpp"
#include "format/record_scanner.hpp"
#include "format/slab_header.hpp"
#include "format_samples.hpp"

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace fmt = fugu::detail::format;
namespace ft = fugu::test::format;

namespace {

std::vector<std::byte> from_hex(std::string_view hex) {
    std::vector<std::byte> out;
    std::string digits;
    for (char c : hex) {
        if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
    }
    REQUIRE(digits.size() % 2 == 0);
    for (std::size_t i = 0; i < digits.size(); i += 2) {
        out.push_back(static_cast<std::byte>(std::stoul(digits.substr(i, 2), nullptr, 16)));
    }
    return out;
}

// Slab offset 0x00.
constexpr std::string_view golden_slab_header =
    "46 55 47 55 53 4c 41 42"              // magic "FUGUSLAB"
    "01 00 00 00"                          // format_version 1
    "01 00 00 00"                          // kind 1: log slab
    "01 00 00 00 00 00 00 00"              // slab_id 1
    "01 00 00 00 00 00 00 00"              // min_generation 1
    "01 00 00 00 00 00 00 00"              // max_generation 1
    "01 00 00 00 00 00 00 00"              // first_sequence 1
    "00 00 00 00 00 00 00 00 00 00 00 00"  // reserved
    "35 80 63 02";                         // header_crc

// Slab offset 0x40.
constexpr std::string_view golden_commit_record =
    "76 5f dd c6"              // header_crc
    "01"                       // type 1: commit
    "00"                       // flags
    "00 00"                    // reserved
    "19 00 00 00"              // body_length 25
    "d0 e6 54 e7"              // body_crc
    "01 00 00 00 00 00 00 00"  // sequence 1
    "40 00 00 00 00 00 00 00"  // synced_upto 64
    "01 00 00 00"              // put_count 1
    "01 00 00 00"              // remove_count 1
    "05 00 05 00 00 00"        // put: key_length 5, value_length 5
    "66 72 75 69 74"           //      key "fruit"
    "03 00"                    // remove: key_length 3
    "6f 6c 64"                 //         key "old"
    "6e 16 58 17"              // value_crc of "apple"
    "61 70 70 6c 65";          // value "apple", at slab offset 0x7c

// Slab offset 0x81.
constexpr std::string_view golden_seal_record =
    "67 92 b4 61"               // header_crc
    "02"                        // type 2: seal
    "00"                        // flags
    "00 00"                     // reserved
    "20 00 00 00"               // body_length 32
    "1b 04 d8 fa"               // body_crc
    "01 00 00 00 00 00 00 00"   // sequence 1 (= max_sequence)
    "81 00 00 00 00 00 00 00"   // synced_upto 129
    "00 00 00 00"               // put_count 0
    "00 00 00 00"               // remove_count 0
    "01 00 00 00 00 00 00 00"   // record_count 1
    "81 00 00 00 00 00 00 00"   // data_end 129
    "01 00 00 00 00 00 00 00"   // min_sequence 1
    "01 00 00 00 00 00 00 00";  // max_sequence 1

fmt::slab_header example_header() {
    fmt::slab_header h;
    h.kind = fmt::slab_kind::log;
    h.slab_id = 1;
    h.min_generation = h.max_generation = 1;
    h.first_sequence = 1;
    return h;
}

}  // namespace

TEST_CASE("the encoder writes the golden slab header", "[format][golden]") {
    std::vector<std::byte> out(fmt::slab_header_size);
    fmt::encode_slab_header(example_header(), std::span(out).first<fmt::slab_header_size>());
    CHECK(out == from_hex(golden_slab_header));
    const auto d = fmt::decode_slab_header(from_hex(golden_slab_header));
    REQUIRE(d.status.ok());
    CHECK(d.header == example_header());
}

TEST_CASE("the encoder writes the golden commit record", "[format][golden]") {
    std::vector<std::byte> out;
    const auto offsets = ft::append_commit(out, ft::example_change_set(), 1, 64);
    CHECK(out == from_hex(golden_commit_record));
    CHECK(offsets == std::vector<std::uint32_t>{60});
    const auto golden = from_hex(golden_commit_record);
    const auto h = fmt::decode_record_header(golden);
    REQUIRE(h.status.ok());
    std::vector<std::string> seen;
    const auto s = fmt::decode_commit_body(
        h.header, std::span(golden).subspan(fmt::record_header_size), [&](const auto& e) {
            if constexpr (std::is_same_v<std::decay_t<decltype(e)>, fmt::put_view>) {
                seen.push_back("put " + std::string(e.key) + " @" +
                               std::to_string(e.value_offset_in_body) + "+" +
                               std::to_string(e.value_length));
            } else {
                seen.push_back("remove " + std::string(e.key));
            }
        });
    REQUIRE(s.ok());
    CHECK(seen == std::vector<std::string>{"put fruit @20+5", "remove old"});
}

TEST_CASE("the encoder writes the golden seal record", "[format][golden]") {
    std::vector<std::byte> out;
    fmt::append_seal_record(out, fmt::seal_body{1, 0x81, 1, 1}, 0x81);
    CHECK(out == from_hex(golden_seal_record));
    const auto golden = from_hex(golden_seal_record);
    const auto h = fmt::decode_record_header(golden);
    REQUIRE(h.status.ok());
    const auto d =
        fmt::decode_seal_body(h.header, std::span(golden).subspan(fmt::record_header_size));
    REQUIRE(d.status.ok());
    CHECK(d.seal == fmt::seal_body{1, 0x81, 1, 1});
}

TEST_CASE("the golden slab scans as one commit and a seal", "[format][golden]") {
    std::vector<std::byte> slab = from_hex(golden_slab_header);
    for (auto part : {golden_commit_record, golden_seal_record}) {
        const auto b = from_hex(part);
        slab.insert(slab.end(), b.begin(), b.end());
    }
    REQUIRE(slab.size() == 201);
    REQUIRE(fmt::decode_slab_header(slab).status.ok());
    fmt::record_scanner scan{std::span(slab).subspan(fmt::slab_header_size), fmt::slab_header_size};
    const auto commit = scan.next();
    REQUIRE(commit);
    REQUIRE(commit->status.ok());
    CHECK(commit->offset == 0x40);
    const auto seal = scan.next();
    REQUIRE(seal);
    REQUIRE(seal->status.ok());
    CHECK(seal->offset == 0x81);
    CHECK(seal->header.type == fmt::record_type::seal);
    CHECK_FALSE(scan.next());
    CHECK(scan.at_end());
    // The value a read would fetch: [0x7c - 4, 0x7c + 5).
    CHECK(fmt::verify_value_block(std::span(slab).subspan(0x78, 9)).ok());
    CHECK(fmt::as_chars(std::span(slab).subspan(0x7c, 5)) == "apple");
}
