// SPDX-License-Identifier: MIT
// Produces new versions of the in-RAM index. The builder applies puts and removes to a
// private working version and publish() hands out an immutable index_view of it. The
// working version shares every untouched node with the versions before it (path
// copying); nodes made since the last publish (of the builder's current epoch, see
// node_epochs) are edited in place, so a batch of changes copies each touched node about
// once. A builder is used by one thread (or
// strand) at a time; the views it publishes may go anywhere.
#pragma once

#include "index/index_view.hpp"
#include "index/node.hpp"
#include "index/node_epochs.hpp"
#include "index/rebalancer.hpp"
#include "index/value_ref.hpp"

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace fugu::detail {

class index_builder {
public:
    index_builder() = default;
    // Continues from a copy of `base`'s tree, made in O(size) (base itself never changes):
    // nodes are shared only along one builder's lineage.
    explicit index_builder(const index_view& base);
    index_builder(index_builder&& o) noexcept;
    index_builder& operator=(index_builder&& o) noexcept;
    index_builder(const index_builder&) = delete;
    index_builder& operator=(const index_builder&) = delete;
    ~index_builder();

    // Maps key to v. Returns the value_ref it replaced, if the key was present.
    // REQUIRES: key.size() <= fugu::max_key_size (else std::length_error, nothing changed).
    std::optional<value_ref> put(std::string_view key, value_ref v);
    // Returns the value_ref removed, if the key was present.
    std::optional<value_ref> remove(std::string_view key);
    // For compaction: maps key to `replacement` only if it still maps to `expected`,
    // i.e. the value was not overwritten or removed since the compactor read it.
    bool replace_if(std::string_view key, value_ref expected, value_ref replacement);

    std::optional<value_ref> find(std::string_view key) const noexcept {
        return find_in(root_, key);
    }
    // Starts loading the leaf `key` routes to into the cache and returns without waiting
    // for it. A batch of changes at random keys that prefetches a few keys ahead overlaps
    // its cache misses, one per leaf of a large index, instead of taking them in turn.
    void prefetch(std::string_view key) const noexcept;

    // A new immutable version holding every change so far; the builder continues from it.
    index_view publish();

    std::size_t size() const noexcept { return size_; }
    // Bytes of the nodes reachable from the working version.
    std::size_t memory_bytes() const noexcept { return nodes_.bytes; }
    // Nodes copied so far because a published version shared them: the cost of path
    // copying, about one per touched node per batch.
    std::size_t copied_nodes() const noexcept { return copies_; }

private:
    // Make the root, or child i of an exclusive node, exclusive by copying it if shared.
    node* own_root();
    node* own_child(node& parent, std::size_t i);
    // Inserts or replaces below the exclusive inner node n. False, with the tree unchanged
    // in content, if n must be split first to make room for new separators.
    bool insert_below(node& n, std::string_view key, value_ref v, std::optional<value_ref>& old);
    bool insert_in_leaf(node& parent,
                        std::size_t i,
                        std::string_view key,
                        value_ref v,
                        std::optional<value_ref>& old);
    // Puts a new root above the current one, one level higher, with it as the only child.
    void grow();
    void remove_below(node& n, std::string_view key);
    // Drops roots left with one child (or none) by removals.
    void shrink();
    node* copy_tree(const node& n, std::vector<node*>& made);

    node* root_ = nullptr;
    std::size_t size_ = 0;
    std::size_t copies_ = 0;
    tree_nodes nodes_;
    rebalancer rebalancer_;
};

}  // namespace fugu::detail
