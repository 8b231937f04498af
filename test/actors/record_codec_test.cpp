// SPDX-License-Identifier: MIT
// The writer's records: the change sets of one group commit share one commit record,
// except where a key repeats (the later change set then starts a new record) or the
// record would outgrow the limits of one change set.
#include "actors/record_codec.hpp"
#include "format/format.hpp"
#include "format/record.hpp"

#include <fugu/change_set.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using fugu::detail::commit_batch;
namespace format = fugu::detail::format;

TEST_CASE("change sets of a group share one record", "[record][store]") {
    std::vector<fugu::change_set> sets(3);
    sets[0].put("a", "1");
    sets[1].put("b", "22");
    sets[1].remove("c");
    sets[2].put("d", "333");
    commit_batch b;
    std::uint64_t seq = 7;
    for (auto& s : sets) {
        REQUIRE(b.fits(s));
        b.add(s, seq++);
    }
    CHECK(b.sequence() == 9);
    std::vector<std::byte> out;
    std::vector<std::uint32_t> offsets, lengths;
    b.encode(out, 0, offsets, lengths);
    CHECK(b.empty());
    REQUIRE(offsets.size() == 3);
    CHECK(lengths == std::vector<std::uint32_t>{1, 2, 3});

    auto h = format::decode_record_header(out);
    REQUIRE(h.status.ok());
    CHECK(h.header.sequence == 9);
    CHECK(h.header.put_count == 3);
    CHECK(h.header.remove_count == 1);
    CHECK(h.header.record_size() == out.size());
    const char* base = reinterpret_cast<const char*>(out.data());
    CHECK(std::string(base + offsets[0], lengths[0]) == "1");
    CHECK(std::string(base + offsets[1], lengths[1]) == "22");
    CHECK(std::string(base + offsets[2], lengths[2]) == "333");
}

TEST_CASE("a key seen earlier in the group starts a new record", "[record][store]") {
    fugu::change_set first, again, removed;
    first.put("k", "1");
    again.put("k", "2");
    removed.remove("k");
    commit_batch b;
    b.add(first, 1);
    CHECK_FALSE(b.fits(again));
    CHECK_FALSE(b.fits(removed));
    fugu::change_set other;
    other.put("x", "y");
    CHECK(b.fits(other));
}

TEST_CASE("a group record stays within the limits of one change set", "[record][store]") {
    // Two change sets of 70 MiB each would make a record over max_change_set_size.
    const std::string big(fugu::max_value_size, 'v');
    fugu::change_set a, c;
    a.put("a", big);
    a.put("a2", std::string(6 << 20, 'v'));
    c.put("c", big);
    commit_batch b;
    REQUIRE(b.fits(a));
    b.add(a, 1);
    CHECK_FALSE(b.fits(c));
}
