// SPDX-License-Identifier: MIT
// A full walk of one index version that checks the invariants every version keeps and
// measures its shape (height, fill of the leaves). For tests, benchmarks and diagnostic
// tools; it reads the nodes only, so it may run on any thread that holds the view.
#pragma once

#include "index/index_view.hpp"

#include <cstddef>

namespace fugu::detail {

struct index_shape {
    std::size_t keys = 0;
    std::size_t nodes = 0;
    std::size_t memory = 0;       // bytes of all nodes
    std::size_t leaves = 0;
    std::size_t height = 0;       // levels; 0 for an empty index
    std::size_t leaf_bytes = 0;   // bytes the leaves use, headers included
    std::size_t inner_bytes = 0;  // the same for inner nodes
    std::size_t key_bytes = 0;    // bytes of the keys themselves

    // Used fraction of the leaves' bytes.
    double leaf_fill() const noexcept {
        return leaves ? static_cast<double>(leaf_bytes) / static_cast<double>(leaves * leaf_size)
                      : 0.0;
    }
};

// Checks that: keys ascend strictly and lie between the separators of their parents; levels
// fall by one per step down and all leaves are at level 0; no node is empty and every key
// lies in its node's key area; each node's byte accounting adds up; and the view's size
// and memory_bytes() match the tree. Throws std::logic_error saying what is broken.
index_shape check_index(const index_view& view);

}  // namespace fugu::detail
