// SPDX-License-Identifier: MIT
// Per-thread free lists of node blocks. Under AddressSanitizer a pooled block is
// poisoned past its link, so a read through a stale node pointer is still reported.
#include "index/node_pool.hpp"

#include "index/node.hpp"

#include <array>
#include <mutex>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define FUGU_NODE_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUGU_NODE_POOL_ASAN 1
#endif
#endif
#ifdef FUGU_NODE_POOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace fugu::detail {

namespace {

struct free_block {
    free_block* next;
};

// A LIFO list of free blocks of one size. Only a pooled block's link is readable (see
// poison()), which is all push and pop touch.
struct block_list {
    free_block* head = nullptr;
    std::size_t count = 0;

    void push(free_block* b) noexcept {
        b->next = head;
        head = b;
        ++count;
    }
    free_block* pop() noexcept {
        free_block* b = head;
        if (b) {
            head = b->next;
            --count;
        }
        return b;
    }
};

// A batch of random keys copies a few thousand leaves of a large index, and the version
// before it frees as many: 1024 leaves (2 MiB) absorb most of that churn per thread
// without holding much memory idle. Inner nodes are about 1% of the nodes.
constexpr std::array<std::size_t, 2> list_limit = {1024, 64};

constexpr std::size_t list_of(std::size_t size) noexcept { return size == leaf_size ? 0 : 1; }

void poison(void* block, std::size_t size) noexcept {
#ifdef FUGU_NODE_POOL_ASAN
    ASAN_POISON_MEMORY_REGION(static_cast<char*>(block) + sizeof(free_block),
                              size - sizeof(free_block));
#else
    (void)block, (void)size;
#endif
}

void unpoison(void* block, std::size_t size) noexcept {
#ifdef FUGU_NODE_POOL_ASAN
    ASAN_UNPOISON_MEMORY_REGION(block, size);
#else
    (void)block, (void)size;
#endif
}

// Blocks a thread's list had no room for. Versions are often let go on another thread
// than the one that copies nodes (compaction holds one while it walks, on its own
// executor): without this, every block freed there went back to malloc while the index's
// thread asked malloc for as many new ones, and both paid for it in arena locks and page
// faults. A version held through a merge's walk can leave a whole tree's worth of leaves
// to free at once, so the depot takes up to 64 MiB of them. Pooling never raises the
// index's peak footprint (a block comes from malloc only when every list is empty); the
// bound is what stays idle after a large index shrinks. Touched in batches.
struct depot_type {
    std::mutex mu;
    std::array<block_list, 2> lists;
};
constexpr std::array<std::size_t, 2> depot_limit = {32768, 1024};
constexpr std::size_t depot_batch = 256;
depot_type depot;

struct thread_pool {
    std::array<block_list, 2> lists;

    ~thread_pool();
};

thread_local thread_pool pool;
// Trivially destructible, so still readable while and after `pool` is destroyed at thread
// exit: nodes released then (by other thread_local or static destructors) bypass the pool.
thread_local bool pool_closed = false;

thread_pool::~thread_pool() {
    pool_closed = true;
    for (std::size_t l = 0; l < lists.size(); ++l) {
        const std::size_t size = l == 0 ? leaf_size : inner_size;
        while (free_block* b = lists[l].pop()) {
            unpoison(b, size);
            ::operator delete(b, size);
        }
    }
}

}  // namespace

void* take_node_block(std::size_t size) {
    if (!pool_closed) {
        block_list& mine = pool.lists[list_of(size)];
        if (!mine.head) {
            // Refill from the depot: up to depot_batch blocks under one lock.
            std::lock_guard lock(depot.mu);
            block_list& shared = depot.lists[list_of(size)];
            for (std::size_t n = 0; n < depot_batch && shared.head; ++n) mine.push(shared.pop());
        }
        if (free_block* b = mine.pop()) {
            unpoison(b, size);
            return b;
        }
    }
    return ::operator new(size);
}

void give_node_block(void* block, std::size_t size) noexcept {
    if (!pool_closed) {
        const std::size_t l = list_of(size);
        auto* b = static_cast<free_block*>(block);
        auto keep = [&](block_list& list) {
            list.push(b);
            poison(b, size);
        };
        if (pool.lists[l].count < list_limit[l]) return keep(pool.lists[l]);
        std::lock_guard lock(depot.mu);
        if (depot.lists[l].count < depot_limit[l]) return keep(depot.lists[l]);
    }
    ::operator delete(block, size);
}

std::size_t pooled_node_blocks() noexcept {
    return pool_closed ? 0 : pool.lists[0].count + pool.lists[1].count;
}

}  // namespace fugu::detail
