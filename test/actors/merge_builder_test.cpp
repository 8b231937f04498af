// SPDX-License-Identifier: MIT
// The merged slab's bytes: survivors of consecutive change sets share records, every
// record keeps a sequence of its own, and a removed key that comes back lands in a later
// record, so replaying the output gives the same state as replaying the sources.
#include "actors/merge_builder.hpp"
#include "format/format.hpp"
#include "format/record.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

using fugu::detail::merge_builder;
using fugu::detail::value_ref;
namespace format = fugu::detail::format;

namespace {

struct decoded {
    std::map<std::string, std::optional<std::string>> state;  // nullopt: removed
    std::vector<std::uint64_t> sequences;
};

// Replays the commit records after the (fake) slab header, as recovery would.
decoded replay(const std::vector<std::byte>& bytes, std::size_t start) {
    decoded out;
    std::size_t at = start;
    while (at < bytes.size()) {
        auto h = format::decode_record_header(std::span(bytes).subspan(at));
        REQUIRE(h.status.ok());
        const auto body = std::span(bytes).subspan(at + format::record_header_size, h.header.body_length);
        std::vector<std::string> removed;
        auto st = format::decode_commit_body(h.header, body, [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, format::put_view>) {
                const char* p = reinterpret_cast<const char*>(body.data()) + e.value_offset_in_body;
                out.state[std::string(e.key)] = std::string(p, e.value_length);
            } else {
                removed.emplace_back(e.key);
            }
        });
        REQUIRE(st.ok());
        for (auto& k : removed) out.state[k] = std::nullopt;  // puts first, then removes
        out.sequences.push_back(h.header.sequence);
        at += h.header.record_size();
    }
    return out;
}

}  // namespace

TEST_CASE("merged records pack change sets and keep sequences rising", "[compaction][format]") {
    merge_builder b(7, std::vector<std::byte>(format::slab_header_size));
    std::uint64_t seq = 10;
    for (int i = 0; i < 100; ++i) {
        const std::string key = "key" + std::to_string(i);
        b.add_put(key, std::string(100, 'a' + i % 26), value_ref{1, static_cast<std::uint32_t>(i), 100});
        REQUIRE_FALSE(b.end_change_set(seq++));
    }
    REQUIRE_FALSE(b.flush());
    CHECK(b.records() == 1);  // 100 small change sets fit one record
    CHECK(b.min_sequence() == 109);
    CHECK(b.max_sequence() == 109);
    const auto out = replay(b.pending_bytes(), format::slab_header_size);
    CHECK(out.state.size() == 100);
    REQUIRE(b.moves().size() == 100);
    // Each move points at the value's bytes in the output.
    const auto& bytes = b.pending_bytes();
    for (const auto& m : b.moves()) {
        CHECK(m.to.slab == 7);
        const std::string key = b.moved_keys().substr(m.key_offset, m.key_length);
        const std::string value(reinterpret_cast<const char*>(bytes.data()) + m.to.offset, m.to.length);
        CHECK(out.state.at(key) == value);
    }
}

TEST_CASE("a removed key that comes back starts a new record", "[compaction][format]") {
    merge_builder b(3, std::vector<std::byte>(format::slab_header_size));
    b.add_remove("k");
    b.add_put("a", "1", value_ref{1, 0, 1});
    REQUIRE_FALSE(b.end_change_set(5));
    b.add_remove("k");  // a second tombstone for the same key
    REQUIRE_FALSE(b.end_change_set(6));
    b.add_put("k", "back", value_ref{1, 9, 4});
    b.add_put("b", "2", value_ref{1, 20, 1});
    REQUIRE_FALSE(b.end_change_set(8));
    REQUIRE_FALSE(b.flush());
    const auto out = replay(b.pending_bytes(), format::slab_header_size);
    CHECK(out.sequences == std::vector<std::uint64_t>{5, 6, 8});
    CHECK(out.state.at("k") == std::optional<std::string>("back"));
    CHECK(out.state.at("a") == std::optional<std::string>("1"));
    CHECK(out.state.at("b") == std::optional<std::string>("2"));
}

TEST_CASE("large change sets close the record being gathered", "[compaction][format]") {
    merge_builder b(3, std::vector<std::byte>(format::slab_header_size));
    const std::string big(40 << 10, 'x');
    for (int i = 0; i < 5; ++i) {
        b.add_put("big" + std::to_string(i), big, value_ref{1, 0, static_cast<std::uint32_t>(big.size())});
        REQUIRE_FALSE(b.end_change_set(static_cast<std::uint64_t>(i + 1)));
    }
    REQUIRE_FALSE(b.flush());
    CHECK(b.records() == 5);
    const auto out = replay(b.pending_bytes(), format::slab_header_size);
    CHECK(out.sequences == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
    CHECK(out.state.size() == 5);
}

TEST_CASE("written bytes move the offsets of later values", "[compaction][format]") {
    merge_builder b(3, std::vector<std::byte>(format::slab_header_size));
    b.add_put("a", "1", value_ref{1, 0, 1});
    REQUIRE_FALSE(b.end_change_set(1));
    REQUIRE_FALSE(b.flush());
    const std::size_t first = b.pending_bytes().size();
    b.mark_written();
    CHECK(b.pending_offset() == first);
    b.add_put("b", "2", value_ref{1, 0, 1});
    REQUIRE_FALSE(b.end_change_set(2));
    REQUIRE_FALSE(b.flush());
    REQUIRE(b.moves().size() == 2);
    CHECK(b.moves()[1].to.offset > first);
    CHECK(b.records() == 2);
}
