// SPDX-License-Identifier: MIT
// Versions of the index as snapshots: each keeps its exact contents while later versions
// are built, iterators outlive later publishes, versions share their nodes, a batch copies
// each touched node about once, and releasing versions in any order frees every node.
#include "index_model.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

using namespace fugu::test;
using fugu::detail::index_builder;
using fugu::detail::live_nodes;

namespace {

// Keys that sort in numeric order.
std::string numbered(std::size_t i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "key-%08zu", i);
    return buf;
}

void collect_nodes(const fugu::detail::node* n, std::set<const fugu::detail::node*>& out) {
    if (!n) return;
    out.insert(n);
    if (!n->is_leaf())
        for (std::size_t i = 0; i < n->count(); ++i) collect_nodes(n->child(i), out);
}

}  // namespace

TEST_CASE("old views keep their exact contents after many later changes", "[index]") {
    key_source keys(11);
    auto& rng = keys.rng();
    index_builder b;
    index_model model;
    std::vector<std::pair<index_view, index_model>> versions;
    for (int batch = 0; batch < 60; ++batch) {
        for (int i = 0; i < 400; ++i) {
            const std::string k = keys.next();
            if (rng() % 3 == 0) {
                b.remove(k);
                model.erase(k);
            } else {
                const value_ref v = random_ref(rng);
                b.put(k, v);
                model[k] = v;
            }
        }
        versions.emplace_back(b.publish(), model);
    }
    for (const auto& [view, expected] : versions) REQUIRE(compare_with_model(view, expected).empty());
}

TEST_CASE("an iterator stays valid while its view lives, whatever is published later",
          "[index]") {
    index_builder b;
    for (std::size_t i = 0; i < 5000; ++i) b.put(numbered(i), {1, static_cast<std::uint32_t>(i), 1});
    const index_view v = b.publish();
    auto it = v.lower_bound(numbered(1000));
    // Rewrite and then remove everything the iterator is about to walk over.
    for (std::size_t i = 0; i < 5000; ++i) b.put(numbered(i), {2, 0, 0});
    b.publish();
    for (std::size_t i = 0; i < 5000; ++i) b.remove(numbered(i));
    CHECK(b.publish().size() == 0);
    std::size_t i = 1000;
    for (; it != v.end(); ++it, ++i) {
        REQUIRE(it.key() == numbered(i));
        REQUIRE(it->value == value_ref{1, static_cast<std::uint32_t>(i), 1});
    }
    CHECK(i == 5000);
}

TEST_CASE("a new version shares every node its changes did not touch", "[index]") {
    index_builder b;
    for (std::size_t i = 0; i < 50'000; ++i) b.put(numbered(i), {0, 0, static_cast<std::uint32_t>(i)});
    const index_view before = b.publish();
    b.put(numbered(25'000), {9, 9, 9});
    const index_view after = b.publish();
    std::set<const fugu::detail::node*> a, c;
    collect_nodes(before.root(), a);
    collect_nodes(after.root(), c);
    std::size_t fresh = 0;
    for (const auto* n : c) fresh += a.count(n) == 0;
    const std::size_t height = fugu::detail::check_index(after).height;
    // Only the path from the root to the one leaf changed.
    CHECK(fresh == height);
    CHECK(before.find(numbered(25'000)) == value_ref{0, 0, 25'000});
    CHECK(after.find(numbered(25'000)) == value_ref{9, 9, 9});
}

TEST_CASE("a batch of changes copies each touched node about once", "[index]") {
    index_builder b;
    for (std::size_t i = 0; i < 50'000; ++i) b.put(numbered(i), {0, 0, 0});
    b.publish();
    const std::size_t height = fugu::detail::check_index(b.publish()).height;
    for (int round = 1; round <= 3; ++round) {
        const std::size_t copies = b.copied_nodes();
        // 2000 neighbouring keys live in a few dozen leaves under one or two paths.
        for (std::size_t i = 10'000; i < 12'000; ++i)
            b.put(numbered(i), {static_cast<std::uint32_t>(round), 0, 0});
        const std::size_t leaves = 2000 * 32 / (fugu::detail::node_capacity(0) / 2) + 2;
        INFO("round " << round << ": " << b.copied_nodes() - copies << " copies");
        CHECK(b.copied_nodes() - copies <= leaves + 2 * height);
        const index_view v = b.publish();
        CHECK(v.find(numbered(11'999)) == value_ref{static_cast<std::uint32_t>(round), 0, 0});
    }
}

TEST_CASE("views released in random order free every node", "[index]") {
    const std::size_t before = live_nodes();
    {
        key_source keys(5);
        auto& rng = keys.rng();
        std::vector<index_view> views;
        {
            index_builder b;
            for (int batch = 0; batch < 80; ++batch) {
                for (int i = 0; i < 300; ++i) {
                    const std::string k = keys.next();
                    if (rng() % 4 == 0)
                        b.remove(k);
                    else
                        b.put(k, random_ref(rng));
                }
                views.push_back(b.publish());
            }
            // The builder goes first; the views still hold every version.
        }
        CHECK(live_nodes() > before);
        std::shuffle(views.begin(), views.end(), rng);
        while (!views.empty()) {
            // Survivors must stay intact while others are freed around them.
            fugu::detail::check_index(views.back());
            views.pop_back();
        }
    }
    CHECK(live_nodes() == before);
}

TEST_CASE("a builder may start from any published version", "[index]") {
    index_builder first;
    for (std::size_t i = 0; i < 3000; ++i) first.put(numbered(i), {1, 1, 1});
    const index_view base = first.publish();
    index_builder second(base);
    for (std::size_t i = 0; i < 3000; i += 2) second.remove(numbered(i));
    first.put(numbered(1), {7, 7, 7});
    const index_view a = first.publish();
    const index_view c = second.publish();
    CHECK(base.size() == 3000);
    CHECK(a.size() == 3000);
    CHECK(c.size() == 1500);
    CHECK(a.find(numbered(1)) == value_ref{7, 7, 7});
    CHECK(c.find(numbered(1)) == value_ref{1, 1, 1});
    CHECK_FALSE(c.contains(numbered(0)));
    CHECK(base.contains(numbered(0)));
    fugu::detail::check_index(a);
    fugu::detail::check_index(c);
}

TEST_CASE("a view held across many publishes keeps only the nodes of its own tree", "[index]") {
    // Replaced nodes are freed by epoch, not by count: those of the versions published and
    // let go of after the held one must not wait for it.
    const std::size_t before = live_nodes();
    key_source keys(29);
    auto& rng = keys.rng();
    {
        index_builder b;
        for (int i = 0; i < 20'000; ++i) b.put(keys.next(), random_ref(rng));
        index_view held = b.publish();
        index_view latest;
        for (int round = 0; round < 300; ++round) {
            for (int i = 0; i < 200; ++i) {
                if (rng() % 4 == 0)
                    b.remove(keys.next());
                else
                    b.put(keys.next(), random_ref(rng));
            }
            latest = b.publish();  // the version before goes now
        }
        std::set<const fugu::detail::node*> reachable;
        collect_nodes(held.root(), reachable);
        const std::size_t held_nodes = reachable.size();
        collect_nodes(latest.root(), reachable);
        CHECK(reachable.size() > held_nodes);
        CHECK(live_nodes() - before == reachable.size());
        fugu::detail::check_index(held);
        fugu::detail::check_index(latest);

        // Let the held view go: what only it reached is freed at once.
        held = {};
        reachable.clear();
        collect_nodes(latest.root(), reachable);
        CHECK(live_nodes() - before == reachable.size());
    }
    CHECK(live_nodes() == before);
}
