// SPDX-License-Identifier: MIT
// The index against a std::map model: random puts, removes and replace_ifs in batches,
// with every published version compared in full (find, iteration, size, lower_bound,
// tree invariants), and older versions checked again after many later changes.
#include "index_model.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace fugu::test;
using fugu::detail::index_builder;

namespace {

struct kept_version {
    index_view view;
    index_model model;
};

bool same(const std::optional<value_ref>& got, const value_ref* want) {
    return got ? want && *got == *want : !want;
}

// Applies one random change to both builder and model, checking what the builder returns.
std::string random_change(index_builder& b, index_model& model, key_source& keys) {
    auto& rng = keys.rng();
    const unsigned op = static_cast<unsigned>(rng() % 100);
    // Removes outnumber puts while the model is large, so its size wanders up and down.
    const unsigned put_share = model.size() > 3000 ? 35 : 60;
    std::string key = keys.next();
    if (op >= put_share && !model.empty() && rng() % 4 != 0) {
        // Mostly pick a present key, so that removes and replace_ifs do something.
        auto it = model.lower_bound(key);
        if (it == model.end()) it = model.begin();
        key = it->first;
    }
    const auto present = model.find(key);
    const value_ref* before = present == model.end() ? nullptr : &present->second;

    if (op < put_share) {
        const value_ref v = random_ref(rng);
        if (!same(b.put(key, v), before)) return "put returned the wrong old value for " + printable(key);
        model[key] = v;
    } else if (op < 85) {
        if (!same(b.remove(key), before)) return "remove returned the wrong value for " + printable(key);
        model.erase(key);
    } else {
        const value_ref v = random_ref(rng);
        const bool right = before && rng() % 3 != 0;
        const value_ref expected = right ? *before : random_ref(rng);
        const bool should = before && *before == expected;
        if (b.replace_if(key, expected, v) != should)
            return "replace_if answered wrongly for " + printable(key);
        if (should) model[key] = v;
    }
    if (b.size() != model.size()) return "builder size drifted after a change to " + printable(key);
    return {};
}

void run_model(std::uint64_t seed, std::size_t ops) {
    key_source keys(seed);
    auto& rng = keys.rng();
    index_builder b;
    index_model model;
    std::vector<kept_version> kept;
    std::size_t done = 0;
    while (done < ops) {
        const std::size_t longest = rng() % 8 == 0 ? 3000 : 300;
        const std::size_t batch = 1 + rng() % longest;
        for (std::size_t k = 0; k < batch; ++k) {
            const std::string err = random_change(b, model, keys);
            if (!err.empty()) FAIL("seed " << seed << ", op " << done + k << ": " << err);
        }
        done += batch;
        const index_view v = b.publish();
        std::string err = compare_with_model(v, model);
        for (int p = 0; p < 20 && err.empty(); ++p) err = compare_lower_bound(v, model, keys.next());
        if (!err.empty()) FAIL("seed " << seed << " after " << done << " ops: " << err);
        REQUIRE(b.memory_bytes() == v.memory_bytes());
        if (rng() % 10 == 0) kept.push_back({v, model});
        if (kept.size() > 12) kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(rng() % kept.size()));
    }
    for (const kept_version& k : kept) REQUIRE(compare_with_model(k.view, k.model).empty());
}

}  // namespace

TEST_CASE("the index matches a std::map model under random puts, removes and replace_ifs",
          "[index]") {
    const std::size_t before = fugu::detail::live_nodes();
    for (std::uint64_t seed : {1u, 2u, 3u}) run_model(seed, 100'000);
    CHECK(fugu::detail::live_nodes() == before);
}

TEST_CASE("removing every key leaves an empty index that can grow again", "[index]") {
    key_source keys(7);
    index_builder b;
    index_model model;
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 5000; ++i) {
            const std::string k = keys.next();
            const value_ref v = random_ref(keys.rng());
            b.put(k, v);
            model[k] = v;
        }
        REQUIRE(compare_with_model(b.publish(), model).empty());
        std::vector<std::string> order;
        for (const auto& [k, v] : model) order.push_back(k);
        std::shuffle(order.begin(), order.end(), keys.rng());
        for (std::size_t i = 0; i < order.size(); ++i) {
            REQUIRE(b.remove(order[i]).has_value());
            model.erase(order[i]);
            if (i % 997 == 0) REQUIRE(compare_with_model(b.publish(), model).empty());
        }
        const index_view empty = b.publish();
        CHECK(empty.size() == 0);
        CHECK(empty.begin() == empty.end());
        CHECK(empty.memory_bytes() == 0);
        CHECK(b.memory_bytes() == 0);
    }
}

TEST_CASE("sequential loads in both directions keep the index in order", "[index]") {
    index_builder b;
    index_model model;
    auto key_of = [](std::uint32_t i) {
        std::string k(4, '\0');
        for (int j = 0; j < 4; ++j) k[3 - j] = static_cast<char>(i >> (8 * j));
        return k;
    };
    for (std::uint32_t i = 0; i < 20'000; ++i) {
        // Ascending from the middle up, and descending from the middle down.
        for (std::uint32_t k : {100'000 + i, 100'000 - 1 - i}) {
            const value_ref v{k, k, k};
            b.put(key_of(k), v);
            model[key_of(k)] = v;
        }
    }
    const index_view v = b.publish();
    REQUIRE(compare_with_model(v, model).empty());
    const auto shape = fugu::detail::check_index(v);
    INFO("leaf fill " << shape.leaf_fill());
    CHECK(shape.leaf_fill() > 0.95);
}

TEST_CASE("keys too long for the index are refused without a change", "[index]") {
    index_builder b;
    b.put("a", {1, 2, 3});
    const std::string too_long(fugu::max_key_size + 1, 'x');
    CHECK_THROWS_AS(b.put(too_long, {4, 5, 6}), std::length_error);
    CHECK(b.size() == 1);
    const std::string longest(fugu::max_key_size, 'x');
    CHECK_FALSE(b.put(longest, {4, 5, 6}).has_value());
    CHECK(b.publish().find(longest) == value_ref{4, 5, 6});
}
