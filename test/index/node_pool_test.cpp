// SPDX-License-Identifier: MIT
// The node block pool: a freed block serves the next node made on the same thread, each
// thread's lists stay bounded, and nodes freed on a thread other than the builder's end
// up in that thread's lists (and are freed when it exits; LeakSanitizer would see it).
#include "index/index.hpp"
#include "index/node.hpp"
#include "index/node_pool.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

using fugu::detail::node;
using fugu::detail::pooled_node_blocks;

TEST_CASE("a released node's block is reused by the next node of its size", "[index]") {
    // A fresh thread starts with empty lists, whatever other tests left in this one's.
    std::size_t empty = 1, after_release = 0, after_make = 1, inner_after = 1;
    bool same_leaf = false, other_size = true, fresh_state = false;
    std::thread([&] {
        empty = pooled_node_blocks();
        node* a = node::make(0);
        void* const where = a;
        release(a);
        after_release = pooled_node_blocks();
        // An inner node does not take a leaf block.
        node* inner = node::make(1);
        other_size = static_cast<void*>(inner) == where;
        inner_after = pooled_node_blocks();
        node* b = node::make(0);
        same_leaf = static_cast<void*>(b) == where;
        after_make = pooled_node_blocks();
        fresh_state = b->count() == 0 && b->free_bytes() == fugu::detail::node_capacity(0) &&
                      b->exclusive();
        release(b);
        release(inner);
    }).join();
    CHECK(empty == 0);
    CHECK(after_release == 1);
    CHECK_FALSE(other_size);
    CHECK(inner_after == 1);
    CHECK(same_leaf);
    CHECK(after_make == 0);
    CHECK(fresh_state);
}

TEST_CASE("a thread's node pool holds a bounded number of blocks", "[index]") {
    const std::size_t before = fugu::detail::live_nodes();
    std::size_t pooled = 0;
    std::thread([&] {
        std::vector<node*> nodes;
        for (int i = 0; i < 5000; ++i) nodes.push_back(node::make(i % 10 == 0 ? 1 : 0));
        for (node* n : nodes) release(n);
        pooled = pooled_node_blocks();
    }).join();
    CHECK(pooled > 0);
    CHECK(pooled <= 1024 + 64);
    CHECK(fugu::detail::live_nodes() == before);
}

TEST_CASE("nodes released on another thread go to that thread's pool", "[index]") {
    const std::size_t before = fugu::detail::live_nodes();
    fugu::detail::index_view v;
    {
        fugu::detail::index_builder b;
        for (int i = 0; i < 20'000; ++i) b.put("key" + std::to_string(i), {1, 2, 3});
        v = b.publish();
    }
    REQUIRE(fugu::detail::live_nodes() > before);
    std::size_t pooled = 0, found = 0;
    std::thread([&, view = std::move(v)]() mutable {
        found = view.contains("key19999") ? 1 : 0;
        view = {};  // the last reference: the whole tree is freed here
        pooled = pooled_node_blocks();
    }).join();
    CHECK(found == 1);
    CHECK(pooled > 0);
    CHECK(fugu::detail::live_nodes() == before);
}
