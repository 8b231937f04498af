// SPDX-License-Identifier: MIT
// Blocks for index nodes. Every batch copies the nodes it touches and frees the ones the
// previous version no longer needs, all of them leaf- or inner-sized: a stack of free
// blocks per size serves those from recently freed blocks instead of glibc, whose arena
// path (blocks this size are above its per-thread cache) showed up at 15-20% of write
// CPU. Each thread keeps its own stacks, so taking and giving need no lock or atomic:
// nodes are freed by whichever thread unpins the last epoch that reaches them, which may
// not be the builder's, and a block given on one thread is simply reused by the next
// node made there. Each stack holds a bounded number of blocks; beyond that they go to a
// shared depot (also bounded) and then back to the heap, as do all of a thread's blocks
// when it exits.
#pragma once

#include <cstddef>

namespace fugu::detail {

// A block of `size` bytes (leaf_size or inner_size), 16-byte aligned. Throws bad_alloc.
void* take_node_block(std::size_t size);
// Returns a block from take_node_block(size), possibly from another thread.
void give_node_block(void* block, std::size_t size) noexcept;
// Blocks this thread holds for reuse, of both sizes.
std::size_t pooled_node_blocks() noexcept;

}  // namespace fugu::detail
