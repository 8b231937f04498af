// SPDX-License-Identifier: MIT
// The compaction decision: when to merge and which run of slabs.
#include "actors/compaction_plan.hpp"
#include "actors/allocation_actor.hpp"

#include <catch2/catch.hpp>

#include <vector>

using fugu::detail::plan_compaction;
using fugu::detail::segment_load;

TEST_CASE("no merge while live data is above the threshold", "[compaction]") {
    std::vector<segment_load> s{{1, 1000, 900, true, 850}, {2, 1000, 800, true, 750}, {3, 500, 500, false, 480}};
    CHECK_FALSE(plan_compaction(s, 0.7, false));
    auto forced = plan_compaction(s, 0.7, true);
    REQUIRE(forced);
    CHECK(forced->count >= 1);
}

TEST_CASE("the run that drops the most stale bytes per live byte is chosen", "[compaction]") {
    std::vector<segment_load> s{{1, 1000, 900, true, 850},
                                {2, 1000, 100, true, 90},
                                {3, 1000, 50, true, 45},
                                {4, 1000, 950, true, 900},
                                {5, 10, 10, false, 9}};
    auto p = plan_compaction(s, 0.7, false);
    REQUIRE(p);
    // Slab 3 alone sheds 950 stale bytes copying 50 (19 per live byte); slabs 2 and 3
    // together shed 1850 copying 150 (about 12): the single slab wins.
    CHECK(p->first == 2);
    CHECK(p->count == 1);
    CHECK_FALSE(p->drop_tombstones);
}

TEST_CASE("tombstones are dropped only when the run starts at the oldest slab", "[compaction]") {
    std::vector<segment_load> s{{1, 1000, 10, true, 9}, {2, 1000, 900, true, 850}, {3, 10, 10, false, 9}};
    auto p = plan_compaction(s, 0.7, false);
    REQUIRE(p);
    CHECK(p->first == 0);
    CHECK(p->drop_tombstones);
}

TEST_CASE("the output slab is never part of a run", "[compaction]") {
    std::vector<segment_load> s{{1, 100000, 100000, true}, {2, 100000, 0, false}};
    auto p = plan_compaction(s, 0.7, true);
    CHECK_FALSE(p);  // the only sealed slab has nothing stale
}

TEST_CASE("output slabs grow geometrically with the data", "[compaction]") {
    using fugu::detail::output_slab_target;
    CHECK(output_slab_target(1 << 20, 1.5, 0) == (1u << 20));
    CHECK(output_slab_target(1 << 20, 1.5, 10 << 20) == (1u << 20) + (5u << 20));
    CHECK(output_slab_target(1 << 20, 2.0, std::uint64_t{100} << 30) == (std::uint64_t{1} << 30));
}

TEST_CASE("slabs already as small as their live data are not rewritten", "[compaction]") {
    // Live data is below the threshold, but only because of framing a merge cannot shed:
    // no run frees a sixteenth of what it would read, so nothing is planned, and a store
    // in this state stops compacting instead of rewriting the same bytes forever.
    std::vector<segment_load> s{{1, 100000, 97000, true, 89000}, {2, 100000, 97000, true, 89000}, {3, 10, 10, false, 9}};
    CHECK_FALSE(plan_compaction(s, 0.99, false));
    // Once a slab has real garbage, it is the one chosen.
    s[1].live = 50000;
    s[1].payload = 46000;
    auto p = plan_compaction(s, 0.99, false);
    REQUIRE(p);
    CHECK(p->first == 1);
    CHECK(p->count == 1);
}

TEST_CASE("the output slab's bytes count toward the trigger", "[compaction]") {
    // The sealed slabs alone are within the bound; the output slab, full of overwritten
    // entries, puts the store past it, and only a sealed slab can be merged.
    std::vector<segment_load> s{{1, 1'000'000, 750'000, true, 700'000},
                                {2, 1'000'000, 750'000, true, 700'000},
                                {3, 2'000'000, 600'000, false, 550'000}};
    auto p = plan_compaction(s, 0.7, false);
    REQUIRE(p);
    CHECK(p->first + p->count <= 2);
}

TEST_CASE("a background run of several slabs reads at most a share of the store", "[compaction]") {
    // Four adjacent slabs, half stale: merged together they would shed the most per byte
    // copied (one header and seal instead of four), but they are half of the store.
    std::vector<segment_load> s{{1, 1'000'000, 500'000, true, 450'000},
                                {2, 1'000'000, 500'000, true, 450'000},
                                {3, 1'000'000, 500'000, true, 450'000},
                                {4, 1'000'000, 500'000, true, 450'000},
                                {5, 4'000'000, 1'000'000, false, 900'000}};
    auto p = plan_compaction(s, 0.7, false);
    REQUIRE(p);
    CHECK(p->count == 1);
    // An explicit compaction is not limited.
    auto forced = plan_compaction(s, 0.7, true);
    REQUIRE(forced);
    CHECK(forced->count == 4);
}
