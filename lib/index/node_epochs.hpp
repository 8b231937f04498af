// SPDX-License-Identifier: MIT
// When a node the index builder replaced may be freed, without a reference count per node.
//
// Each publish ends an epoch: the builder stamps every node it makes with its current
// epoch, edits only nodes of that epoch in place, and copies the others (path copying). A
// node of epoch b that the builder replaces while building epoch e is reachable from the
// published epochs b .. e - 1 and from no later one. Readers pin the epoch of the
// index_view they hold; a replaced node waits on the newest pinned epoch that can reach
// it and, when that epoch is unpinned, moves to the next older pinned one that can, or is
// freed. So a snapshot held for long keeps only the nodes of its own tree, never the
// nodes of the versions published and released after it.
//
// Why not per-node counts: copying an inner node had to count a new reference on each of
// its ~100 children, and freeing it had to drop them, a cache miss on every child; with
// a publish every few hundred saves that was a touch of every leaf in the tree per
// publish. Here a copy is a memcpy and a free touches only the node freed.
#pragma once

#include "index/node.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace fugu::detail {

class node_epochs;

// A node that has left the builder's tree, with what deciding its fate and freeing it
// need: by then the node itself is cold, and reading it would be a cache miss per node.
struct replaced_node {
    node* n;
    std::uint64_t epoch;
    unsigned level;
};

// One published epoch, while index_views of it live. Made by node_epochs::publish() with
// one pin; pin() and unpin() may be called from any thread.
class epoch_pin {
public:
    epoch_pin(const epoch_pin&) = delete;
    epoch_pin& operator=(const epoch_pin&) = delete;

    friend void pin(epoch_pin* p) noexcept { p->pins_.fetch_add(1, std::memory_order_relaxed); }
    // The last unpin hands this epoch's waiting nodes on (or frees them) and deletes the pin.
    friend void unpin(epoch_pin* p) noexcept;

private:
    friend class node_epochs;
    epoch_pin(std::shared_ptr<node_epochs> owner, std::uint64_t epoch) noexcept
        : owner_(std::move(owner)), epoch_(epoch) {}

    std::atomic<std::uint32_t> pins_{1};
    std::shared_ptr<node_epochs> owner_;
    const std::uint64_t epoch_;
    // Under owner_->mutex_: the replaced nodes this is the newest pinned epoch to reach,
    // and the neighbouring pinned epochs.
    std::vector<replaced_node> waiting_;
    epoch_pin* older_ = nullptr;
    epoch_pin* newer_ = nullptr;
};

// The pinned epochs of one builder's lineage. Shared by the builder and every pin it
// made, so it outlives whichever goes last.
class node_epochs : public std::enable_shared_from_this<node_epochs> {
public:
    node_epochs() = default;
    node_epochs(const node_epochs&) = delete;
    node_epochs& operator=(const node_epochs&) = delete;
    ~node_epochs();

    // Builder side. Ends `epoch`: each node in `replaced` (all of epochs before it, none
    // still in the builder's tree) waits on a pinned epoch or is freed; returns the new
    // epoch's pin. `replaced` is left empty.
    epoch_pin* publish(std::uint64_t epoch, std::vector<replaced_node>& replaced);
    // The same without publishing: the builder is letting go of these nodes for good.
    void retire(std::vector<replaced_node>& replaced);

private:
    friend void unpin(epoch_pin* p) noexcept;
    // Moves `n` onto the newest pinned epoch at or before `from` that reaches it, or into
    // `to_free`. REQUIRES: mutex_ held.
    static void hand_on(const replaced_node& r, epoch_pin* from, std::vector<replaced_node>& to_free);

    std::mutex mutex_;
    epoch_pin* newest_ = nullptr;  // the pinned epochs, newest first through older_
};

// The builder's side of its tree's nodes: makes them in the current epoch, tells whether
// one may be edited in place, and collects the ones it replaces until the next publish.
// The rebalancer goes through it too, and keeps `bytes` (of the nodes in the tree) with it.
class tree_nodes {
public:
    tree_nodes();
    tree_nodes(tree_nodes&& o) noexcept;
    tree_nodes& operator=(tree_nodes&& o) noexcept;
    ~tree_nodes();

    node* make(unsigned level) { return node::make(level, epoch_); }
    node* copy(const node& n) { return n.clone(epoch_); }
    // True if n is of the current epoch: no published version can see it.
    bool owned(const node& n) const noexcept { return n.epoch() == epoch_; }
    // n has left the tree: freed now if no published version can see it, else kept for
    // the next publish to hand on. Not its children.
    void replaced(node* n) {
        if (owned(*n))
            free_node(n);
        else
            replaced_.push_back(replaced_node{n, n->epoch(), n->level()});
    }
    // n was made by make() and never joined the tree.
    void discard(node* n) noexcept { free_node(n); }

    // Ends the current epoch; the next make() or copy() is of a new one.
    epoch_pin* publish();
    // Lets go of a whole tree (the builder's, when it ends) and everything replaced.
    void drop_tree(node* root);

    std::size_t bytes = 0;  // of the nodes in the tree

private:
    void collect(node* n);

    std::shared_ptr<node_epochs> epochs_;
    // Unique in the process, not only in this lineage, so that a node of another builder's
    // tree is never taken for one of ours.
    std::uint64_t epoch_;
    std::vector<replaced_node> replaced_;
};

}  // namespace fugu::detail
