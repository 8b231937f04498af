// SPDX-License-Identifier: MIT
// The live-entry walk compaction plans merges with: for the chosen slabs, every entry of
// the index that points into them, per slab in offset order, numbered in key order; and
// the radix sort behind it.
#include "actors/live_scan.hpp"
#include "index/index_builder.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using fugu::detail::index_builder;
using fugu::detail::live_scan;
using fugu::detail::value_ref;

TEST_CASE("sort_by_offset orders packed values by their offset half", "[live_scan]") {
    std::mt19937_64 rng(7);
    for (std::size_t n : {0u, 1u, 2u, 1000u, 70000u}) {
        std::vector<std::uint64_t> v;
        std::vector<std::uint32_t> offsets;
        // Distinct offsets spread over the whole 32 bits, ranks in input order.
        while (offsets.size() < n) offsets.push_back(static_cast<std::uint32_t>(rng()));
        std::sort(offsets.begin(), offsets.end());
        offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
        std::shuffle(offsets.begin(), offsets.end(), rng);
        for (std::uint32_t r = 0; r < offsets.size(); ++r)
            v.push_back(std::uint64_t{offsets[r]} << 32 | r);
        auto expected = v;
        std::sort(expected.begin(), expected.end());
        fugu::detail::sort_by_offset(v);
        REQUIRE(v == expected);
    }
}

TEST_CASE("the walk lists each source's live entries by offset, ranked in key order",
          "[live_scan]") {
    std::mt19937 rng(11);
    index_builder b;
    std::map<std::string, value_ref> model;
    std::uint32_t next_offset[4] = {0, 0, 0, 0};
    for (int i = 0; i < 20000; ++i) {
        std::string key = "k" + std::to_string(rng() % 6000);
        const std::uint32_t slab = 1 + rng() % 3;
        const value_ref v{slab, next_offset[slab] += 1 + rng() % 300, 10};
        if (rng() % 7 == 0) {
            b.remove(key);
            model.erase(key);
        } else {
            b.put(key, v);
            model[key] = v;
        }
        if (i % 5000 == 0) (void)b.publish();  // shared nodes along the way
    }
    const auto view = b.publish();
    const std::vector<std::uint32_t> sources = {3, 1};
    live_scan scan(view, sources);
    std::size_t steps = 0;
    while (!scan.step(100)) ++steps;
    CHECK(steps > 10);  // it did stop and resume

    // What the walk must find: the model's entries in those slabs, ranked in key order.
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> expected(sources.size());
    std::uint32_t rank = 0;
    for (const auto& [key, v] : model) {
        for (std::size_t s = 0; s < sources.size(); ++s)
            if (v.slab == sources[s]) expected[s].emplace_back(v.offset, rank++);
    }
    REQUIRE(scan.count() == rank);
    for (std::size_t s = 0; s < sources.size(); ++s) {
        std::sort(expected[s].begin(), expected[s].end());
        std::vector<std::pair<std::uint32_t, std::uint32_t>> got;
        for (auto c = scan.live_in(s); !c.done(); c.advance()) got.emplace_back(c.offset(), c.rank());
        CHECK(got == expected[s]);
    }
}
