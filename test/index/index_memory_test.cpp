// SPDX-License-Identifier: MIT
// The index's memory figure: node bytes per key for a million random 16-byte keys must
// stay within the budget of 32 bytes per key beyond the key bytes themselves.
#include "index_model.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <random>

using namespace fugu::test;
using fugu::detail::index_builder;

namespace {

constexpr std::size_t key_size = 16;
constexpr double budget_beyond_key = 32.0;

std::string random_key(std::mt19937_64& rng) {
    std::string k(key_size, '\0');
    for (std::size_t i = 0; i < key_size; i += 8) {
        const std::uint64_t r = rng();
        for (std::size_t j = 0; j < 8; ++j) k[i + j] = static_cast<char>(r >> (8 * j));
    }
    return k;
}

double bytes_per_key(const index_builder& b) {
    return static_cast<double>(b.memory_bytes()) / static_cast<double>(b.size());
}

}  // namespace

TEST_CASE("a million random 16-byte keys fit the memory budget", "[index]") {
    std::mt19937_64 rng(42);
    index_builder b;
    index_view last;
    // Batches with a publish in between, as the store applies them.
    constexpr std::size_t keys = 1'000'000;
    for (std::size_t i = 0; i < keys; ++i) {
        b.put(random_key(rng), {static_cast<std::uint32_t>(i), 0, 100});
        if (i % 16384 == 0) last = b.publish();
    }
    last = b.publish();
    REQUIRE(b.size() == keys);  // 2^-128 collision odds aside
    const auto shape = fugu::detail::check_index(last);
    const double per_key = bytes_per_key(b);
    std::printf("index memory: %.1f bytes per random 16-byte key (%.1f beyond the key), leaf fill %.1f%%, height %zu\n",
                per_key, per_key - key_size, 100.0 * shape.leaf_fill(), shape.height);
    CHECK(per_key <= key_size + budget_beyond_key);
}

TEST_CASE("removing most keys gives most of the memory back", "[index]") {
    std::mt19937_64 rng(43);
    index_builder b;
    std::vector<std::string> all;
    for (std::size_t i = 0; i < 100'000; ++i) {
        all.push_back(random_key(rng));
        b.put(all.back(), {1, 2, 3});
    }
    const std::size_t full = b.memory_bytes();
    // Remove three keys in four.
    for (std::size_t i = 0; i < all.size(); ++i)
        if (i % 4 != 0) b.remove(all[i]);
    const index_view v = b.publish();
    fugu::detail::check_index(v);
    const double per_key = bytes_per_key(b);
    std::printf("index memory after removing 3/4 of the keys: %.1f bytes per key (%zu of %zu bytes kept)\n",
                per_key, b.memory_bytes(), full);
    // Underfull leaves merge or borrow from a sibling: on average they stay over half full.
    CHECK(per_key <= 2.0 * static_cast<double>(key_size + sizeof(fugu::detail::node_slot)));
}
