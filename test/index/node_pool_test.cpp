// SPDX-License-Identifier: MIT
// The node block pool: a freed block serves the next node made on the same thread, each
// thread's stacks stay bounded, nodes freed on a thread other than the builder's end up
// in that thread's stacks (and are freed when it exits; LeakSanitizer would see it), and
// what a thread's stacks have no room for goes to a shared depot other threads refill
// from.
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
    // Counts are compared before and after each step: an empty list refills from the
    // shared depot, whatever other tests left there.
    std::size_t released = 0, made = 0;
    bool same_leaf = false, other_size = true, fresh_state = false;
    std::thread([&] {
        node* a = node::make(0, 1);
        void* const where = a;
        const std::size_t before_release = pooled_node_blocks();
        free_node(a);
        released = pooled_node_blocks() - before_release;
        // An inner node does not take a leaf block.
        node* inner = node::make(1, 1);
        other_size = static_cast<void*>(inner) == where;
        const std::size_t before_make = pooled_node_blocks();
        node* b = node::make(0, 1);
        same_leaf = static_cast<void*>(b) == where;
        made = before_make - pooled_node_blocks();
        fresh_state = b->count() == 0 && b->free_bytes() == fugu::detail::node_capacity(0) &&
                      b->epoch() == 1;
        free_node(b);
        free_node(inner);
    }).join();
    CHECK(released == 1);
    CHECK_FALSE(other_size);
    CHECK(same_leaf);
    CHECK(made == 1);
    CHECK(fresh_state);
}

TEST_CASE("blocks a thread has no room for serve nodes made on another thread", "[index]") {
    const std::size_t before = fugu::detail::live_nodes();
    std::thread([] {
        std::vector<node*> nodes;
        for (int i = 0; i < 3000; ++i) nodes.push_back(node::make(0, 1));
        for (node* n : nodes) free_node(n);  // up to 1024 stay here, the rest go to the depot
    }).join();
    std::size_t empty = 1, refilled = 0;
    std::thread([&] {
        empty = pooled_node_blocks();
        node* n = node::make(0, 1);
        refilled = pooled_node_blocks();  // the rest of the batch taken from the depot
        free_node(n);
    }).join();
    CHECK(empty == 0);
    CHECK(refilled > 0);
    CHECK(fugu::detail::live_nodes() == before);
}

TEST_CASE("a thread's node pool holds a bounded number of blocks", "[index]") {
    const std::size_t before = fugu::detail::live_nodes();
    std::size_t pooled = 0;
    std::thread([&] {
        std::vector<node*> nodes;
        for (int i = 0; i < 5000; ++i) nodes.push_back(node::make(i % 10 == 0 ? 1 : 0, 1));
        for (node* n : nodes) free_node(n);
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
        view = {};  // the last pin of the last epoch: the whole tree is freed here
        pooled = pooled_node_blocks();
    }).join();
    CHECK(found == 1);
    CHECK(pooled > 0);
    CHECK(fugu::detail::live_nodes() == before);
}
