// SPDX-License-Identifier: MIT
// The record scanner and the search past damage that recovery uses to tell a torn tail
// (cut off silently) from damage to synced bytes (reported).
#include <catch2/catch.hpp>

#include "format/record_scanner.hpp"
#include "format_samples.hpp"

#include <random>
#include <vector>

namespace fmt = fugu::detail::format;
namespace ft = fugu::test::format;

namespace {

std::span<const std::byte> records_of(const ft::sample_slab& s) {
    return std::span(s.bytes).subspan(fmt::slab_header_size);
}

// What recovery decides from a scan of the newest log slab.
enum class verdict { clean, torn_tail, synced_damage };

verdict judge(std::span<const std::byte> records, std::uint64_t* damage_at = nullptr) {
    fmt::record_scanner scan(records, fmt::slab_header_size);
    while (auto r = scan.next()) {
        if (r->status.ok()) continue;
        if (damage_at) *damage_at = r->offset;
        const auto later =
            fmt::find_next_valid_header(records, r->offset + 1, fmt::slab_header_size);
        return later && later->header.synced_upto > r->offset ? verdict::synced_damage
                                                              : verdict::torn_tail;
    }
    return verdict::clean;
}

}  // namespace

TEST_CASE("the scanner walks every record of a sealed slab", "[format][scanner]") {
    std::mt19937_64 rng(1);
    const auto slab = ft::make_log_slab(rng, 6, true);
    fmt::record_scanner scan(records_of(slab), fmt::slab_header_size);
    std::size_t commits = 0;
    std::uint64_t seal_at = 0;
    while (auto r = scan.next()) {
        REQUIRE(r->status.ok());
        REQUIRE(r->header_valid);
        REQUIRE(r->body.size() == r->header.body_length);
        if (r->header.type == fmt::record_type::commit) {
            REQUIRE(r->offset == slab.record_offsets.at(commits));
            CHECK(r->header.sequence == 100 + commits);
            ++commits;
        } else {
            seal_at = r->offset;
            const auto seal = fmt::decode_seal_body(r->header, r->body);
            REQUIRE(seal.status.ok());
            CHECK(seal.seal.record_count == commits);
            CHECK(seal.seal.data_end == r->offset);
        }
    }
    CHECK(commits == 6);
    CHECK(scan.at_end());
    CHECK(scan.offset() == slab.bytes.size());
    CHECK(seal_at + fmt::seal_record_size == slab.bytes.size());
}

TEST_CASE("a slab with no records scans as empty", "[format][scanner]") {
    std::mt19937_64 rng(2);
    const auto slab = ft::make_log_slab(rng, 0, false);
    fmt::record_scanner scan(records_of(slab), fmt::slab_header_size);
    CHECK_FALSE(scan.next());
    CHECK(scan.at_end());
    CHECK(judge(records_of(slab)) == verdict::clean);
}

TEST_CASE("the scanner reports a record cut by the end of its buffer and resumes from offset()",
          "[format][scanner]") {
    std::mt19937_64 rng(3);
    const auto slab = ft::make_log_slab(rng, 4, true);
    const auto all = records_of(slab);
    // Read in two chunks split inside the third record, as a reader with a small buffer.
    const std::size_t split = slab.record_offsets[2] + 17 - fmt::slab_header_size;
    fmt::record_scanner first(all.first(split), fmt::slab_header_size);
    std::size_t ok = 0;
    std::optional<fmt::scanned_record> last;
    while (auto r = first.next()) {
        last = r;
        if (r->status.ok()) ++ok;
    }
    CHECK(ok == 2);
    REQUIRE(last);
    CHECK(last->status.truncated());
    CHECK(last->offset == slab.record_offsets[2]);
    CHECK(first.offset() == slab.record_offsets[2]);
    CHECK_FALSE(first.next());

    fmt::record_scanner rest(std::span(slab.bytes).subspan(first.offset()), first.offset());
    std::size_t rest_ok = 0;
    while (auto r = rest.next()) {
        REQUIRE(r->status.ok());
        ++rest_ok;
    }
    CHECK(rest_ok == 3);  // two commits and the seal
    CHECK(rest.at_end());
}

TEST_CASE("every truncation of the newest slab is a torn tail", "[format][scanner]") {
    std::mt19937_64 rng(4);
    const auto slab = ft::make_log_slab(rng, 5, false);
    for (std::size_t n = fmt::slab_header_size; n < slab.bytes.size(); ++n) {
        const std::vector<std::byte> cut(slab.bytes.begin(),
                                         slab.bytes.begin() + static_cast<std::ptrdiff_t>(n));
        std::uint64_t at = 0;
        const auto v = judge(std::span(cut).subspan(fmt::slab_header_size), &at);
        INFO("cut at " << n);
        if (std::find(slab.record_offsets.begin(), slab.record_offsets.end(), n) !=
            slab.record_offsets.end()) {
            REQUIRE(v == verdict::clean);
        } else {
            REQUIRE(v == verdict::torn_tail);
            // The tail starts at the last record boundary at or before the cut.
            REQUIRE(at <= n);
            REQUIRE(std::find(slab.record_offsets.begin(), slab.record_offsets.end(), at) !=
                    slab.record_offsets.end());
        }
    }
}

TEST_CASE("zeros or garbage after the last record are a torn tail", "[format][scanner]") {
    std::mt19937_64 rng(5);
    auto slab = ft::make_log_slab(rng, 3, false);
    const std::uint64_t end = slab.bytes.size();
    SECTION("zeros") { slab.bytes.resize(end + 4096); }
    SECTION("garbage") {
        for (int i = 0; i < 4096; ++i) slab.bytes.push_back(static_cast<std::byte>(rng()));
    }
    SECTION("a torn record: its header landed, part of its body did not") {
        std::vector<std::byte> next;
        ft::append_commit(next, ft::example_change_set(), 200, end);
        std::fill(next.begin() + 45, next.end(), std::byte{0});
        slab.bytes.insert(slab.bytes.end(), next.begin(), next.end());
    }
    std::uint64_t at = 0;
    CHECK(judge(records_of(slab), &at) == verdict::torn_tail);
    CHECK(at == end);
}

TEST_CASE("damage before a record that claims it synced is reported, not cut off",
          "[format][scanner]") {
    std::mt19937_64 rng(6);
    auto slab = ft::make_log_slab(rng, 5, false);
    // Every record claims everything before it synced; damage record 1.
    const std::uint64_t victim = slab.record_offsets[1];
    slab.bytes[victim + 20] ^= std::byte{0x80};
    std::uint64_t at = 0;
    CHECK(judge(records_of(slab), &at) == verdict::synced_damage);
    CHECK(at == victim);
    const auto later =
        fmt::find_next_valid_header(records_of(slab), victim + 1, fmt::slab_header_size);
    REQUIRE(later);
    CHECK(later->offset == slab.record_offsets[2]);
    CHECK(later->header.synced_upto == slab.record_offsets[2]);
}

TEST_CASE("later records that were written before the damage was synced prove nothing",
          "[format][scanner]") {
    std::mt19937_64 rng(7);
    // os_buffered style: records claim nothing past the slab header synced.
    auto slab = ft::make_log_slab(rng, 0, false);
    std::vector<std::uint64_t> offsets;
    for (int i = 0; i < 4; ++i) {
        offsets.push_back(slab.bytes.size());
        ft::append_commit(slab.bytes, ft::random_change_set(rng), 10 + i, fmt::slab_header_size);
    }
    slab.bytes[offsets[1] + 3] ^= std::byte{0xff};
    std::uint64_t at = 0;
    CHECK(judge(records_of(slab), &at) == verdict::torn_tail);
    CHECK(at == offsets[1]);
}

TEST_CASE("a header claiming bytes after itself synced is not believed", "[format][scanner]") {
    std::vector<std::byte> bytes(fmt::slab_header_size);
    ft::append_commit(bytes, ft::example_change_set(), 1, 10000);
    const auto records = std::span<const std::byte>(bytes).subspan(fmt::slab_header_size);
    fmt::record_scanner scan(records, fmt::slab_header_size);
    const auto r = scan.next();
    REQUIRE(r);
    CHECK(r->status.corrupt());
    CHECK(r->header_valid);
    CHECK(r->status.reason == "record claims bytes after it were synced");
    CHECK_FALSE(fmt::find_next_valid_header(records, fmt::slab_header_size, fmt::slab_header_size));
}

TEST_CASE("find_next_valid_header looks at every offset and nowhere past the bytes",
          "[format][scanner]") {
    std::vector<std::byte> bytes(fmt::slab_header_size + 13, std::byte{0x5a});
    const std::uint64_t at = bytes.size();
    ft::append_commit(bytes, ft::example_change_set(), 3, 64);
    const auto records = std::span<const std::byte>(bytes).subspan(fmt::slab_header_size);
    for (std::uint64_t from = fmt::slab_header_size; from <= at; ++from) {
        const auto found = fmt::find_next_valid_header(records, from, fmt::slab_header_size);
        REQUIRE(found);
        CHECK(found->offset == at);
    }
    CHECK_FALSE(fmt::find_next_valid_header(records, at + 1, fmt::slab_header_size));
    // Only the header has to be there.
    const auto header_only = records.first(at - fmt::slab_header_size + fmt::record_header_size);
    CHECK(fmt::find_next_valid_header(header_only, 0, fmt::slab_header_size));
    CHECK_FALSE(fmt::find_next_valid_header(header_only.first(header_only.size() - 1), 0,
                                            fmt::slab_header_size));
}
