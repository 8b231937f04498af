// SPDX-License-Identifier: MIT
// Per-thread stacks of free node blocks. Under AddressSanitizer a pooled block is
// poisoned, so a read through a stale node pointer is still reported.
#include "index/node_pool.hpp"

#include "index/node.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <new>
#include <vector>

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

// A stack of free blocks of one size, kept as an array of pointers rather than a list
// linked through the blocks: taking or giving a block then touches only the array, never
// the block, which is cold (it was last used by a node of an old version). Through a
// linked list each take was a cache miss on the block's link, 5-8% of the index
// thread's time under random overwrites.
struct block_stack {
    std::vector<void*> blocks;

    std::size_t size() const noexcept { return blocks.size(); }
    // REQUIRES: room reserved (push never allocates: it runs in noexcept frees).
    void push(void* b) noexcept { blocks.push_back(b); }
    void* pop() noexcept {
        if (blocks.empty()) return nullptr;
        void* b = blocks.back();
        blocks.pop_back();
        return b;
    }
    // Moves up to n blocks from the top of `from` onto this stack.
    void take_from(block_stack& from, std::size_t n) noexcept {
        n = std::min({n, from.blocks.size(), blocks.capacity() - blocks.size()});
        blocks.insert(blocks.end(), from.blocks.end() - static_cast<std::ptrdiff_t>(n), from.blocks.end());
        from.blocks.resize(from.blocks.size() - n);
    }
};

// A batch of random keys copies a few thousand leaves of a large index, and the version
// before it frees as many: 1024 leaves (2 MiB) absorb most of that churn per thread
// without holding much memory idle. Inner nodes are about 1% of the nodes.
constexpr std::array<std::size_t, 2> stack_limit = {1024, 64};

constexpr std::size_t stack_of(std::size_t size) noexcept { return size == leaf_size ? 0 : 1; }
constexpr std::size_t size_of(std::size_t stack) noexcept { return stack == 0 ? leaf_size : inner_size; }

void poison(void* block, std::size_t size) noexcept {
#ifdef FUGU_NODE_POOL_ASAN
    ASAN_POISON_MEMORY_REGION(block, size);
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

// Blocks a thread's stack had no room for. Versions are often let go on another thread
// than the one that copies nodes (compaction holds one while it walks, on its own
// executor): without this, every block freed there went back to malloc while the index's
// thread asked malloc for as many new ones, and both paid for it in arena locks and page
// faults. A version held through a merge's walk can leave a whole tree's worth of leaves
// to free at once, so the depot takes up to 64 MiB of them. Pooling never raises the
// index's peak footprint (a block comes from malloc only when every stack is empty); the
// bound is what stays idle after a large index shrinks. Blocks move in batches.
constexpr std::array<std::size_t, 2> depot_limit = {32768, 1024};
constexpr std::size_t depot_batch = 256;

struct depot_type {
    std::mutex mu;
    std::array<block_stack, 2> stacks;

    depot_type() {
        for (std::size_t l = 0; l < stacks.size(); ++l) stacks[l].blocks.reserve(depot_limit[l]);
    }
};
// Never destroyed: threads may still give blocks back while statics are torn down at
// exit, and the blocks it holds stay reachable (not leaks) to LeakSanitizer.
depot_type& depot = *new depot_type;

struct thread_pool {
    std::array<block_stack, 2> stacks;

    thread_pool() {
        for (std::size_t l = 0; l < stacks.size(); ++l) stacks[l].blocks.reserve(stack_limit[l]);
    }
    ~thread_pool();
};

thread_local thread_pool pool;
// Trivially destructible, so still readable while and after `pool` is destroyed at thread
// exit: nodes released then (by other thread_local or static destructors) bypass the pool.
thread_local bool pool_closed = false;

thread_pool::~thread_pool() {
    pool_closed = true;
    for (std::size_t l = 0; l < stacks.size(); ++l) {
        while (void* b = stacks[l].pop()) {
            unpoison(b, size_of(l));
            ::operator delete(b, size_of(l));
        }
    }
}

}  // namespace

void* take_node_block(std::size_t size) {
    if (!pool_closed) {
        block_stack& mine = pool.stacks[stack_of(size)];
        if (mine.size() == 0) {
            std::lock_guard lock(depot.mu);
            mine.take_from(depot.stacks[stack_of(size)], depot_batch);
        }
        if (void* b = mine.pop()) {
            unpoison(b, size);
            // The block the next take returns is cold, and a copy into it would wait for
            // each line it writes: start loading it now, for writing.
            if (mine.size() > 0) prefetch_lines<true>(mine.blocks.back(), size / 2);
            return b;
        }
    }
    return ::operator new(size);
}

void give_node_block(void* block, std::size_t size) noexcept {
    if (!pool_closed) {
        const std::size_t l = stack_of(size);
        block_stack& mine = pool.stacks[l];
        if (mine.size() == stack_limit[l]) {
            // Full: hand a batch to the depot, one lock for many blocks.
            std::lock_guard lock(depot.mu);
            depot.stacks[l].take_from(mine, depot_batch);
        }
        if (mine.size() < stack_limit[l]) {
            poison(block, size);
            mine.push(block);
            return;
        }
    }
    ::operator delete(block, size);
}

std::size_t pooled_node_blocks() noexcept {
    return pool_closed ? 0 : pool.stacks[0].size() + pool.stacks[1].size();
}

}  // namespace fugu::detail
