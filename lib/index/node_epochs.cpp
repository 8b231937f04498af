// SPDX-License-Identifier: MIT
// Pinned epochs and the replaced nodes waiting on them.
#include "index/node_epochs.hpp"

#include <cassert>
#include <utility>

namespace fugu::detail {

namespace {

void free_all(const std::vector<replaced_node>& nodes) noexcept {
    for (const replaced_node& r : nodes) free_node(r.n, r.level);
}

std::atomic<std::uint64_t> last_epoch{0};

std::uint64_t new_epoch() noexcept { return last_epoch.fetch_add(1, std::memory_order_relaxed) + 1; }

}  // namespace

void node_epochs::hand_on(const replaced_node& r, epoch_pin* from, std::vector<replaced_node>& to_free) {
    // The pinned epochs that can reach n are those from its own epoch on; only the newest
    // of them needs to know, since the older ones are unpinned first or hand n on to it.
    if (from && from->epoch_ >= r.epoch)
        from->waiting_.push_back(r);
    else
        to_free.push_back(r);
}

epoch_pin* node_epochs::publish(std::uint64_t epoch, std::vector<replaced_node>& replaced) {
    auto* p = new epoch_pin(shared_from_this(), epoch);
    std::vector<replaced_node> to_free;
    {
        std::lock_guard lock(mutex_);
        assert(!newest_ || newest_->epoch_ < epoch);
        for (const replaced_node& r : replaced) hand_on(r, newest_, to_free);
        p->older_ = newest_;
        if (newest_) newest_->newer_ = p;
        newest_ = p;
    }
    replaced.clear();
    // Outside the lock: readers unpinning on other threads need not wait for the frees.
    free_all(to_free);
    return p;
}

void node_epochs::retire(std::vector<replaced_node>& replaced) {
    std::vector<replaced_node> to_free;
    {
        std::lock_guard lock(mutex_);
        for (const replaced_node& r : replaced) hand_on(r, newest_, to_free);
    }
    replaced.clear();
    free_all(to_free);
}

node_epochs::~node_epochs() {
    // Every pin holds its owner, so none is left; and with them went every waiting node.
    assert(!newest_);
}

void unpin(epoch_pin* p) noexcept {
    // acq_rel: whoever frees the nodes must see every reader of this epoch done with them.
    if (p->pins_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    node_epochs& owner = *p->owner_;
    std::vector<replaced_node> to_free;
    {
        std::lock_guard lock(owner.mutex_);
        // Every node waiting here is reachable from this epoch and from older ones down to
        // its own; the next older pinned epoch takes those it reaches.
        to_free.reserve(p->waiting_.size());
        for (const replaced_node& r : p->waiting_) node_epochs::hand_on(r, p->older_, to_free);
        if (p->older_) p->older_->newer_ = p->newer_;
        if (p->newer_)
            p->newer_->older_ = p->older_;
        else
            owner.newest_ = p->older_;
    }
    free_all(to_free);
    // May drop the last reference to the owner, so only now, with its mutex released.
    delete p;
}

tree_nodes::tree_nodes() : epochs_(std::make_shared<node_epochs>()), epoch_(new_epoch()) {}

tree_nodes::tree_nodes(tree_nodes&& o) noexcept
    : bytes(std::exchange(o.bytes, 0)),
      epochs_(std::move(o.epochs_)),
      epoch_(o.epoch_),
      replaced_(std::move(o.replaced_)) {
    o.replaced_.clear();
}

tree_nodes& tree_nodes::operator=(tree_nodes&& o) noexcept {
    if (this != &o) {
        if (epochs_ && !replaced_.empty()) epochs_->retire(replaced_);
        bytes = std::exchange(o.bytes, 0);
        epochs_ = std::move(o.epochs_);
        epoch_ = o.epoch_;
        replaced_ = std::move(o.replaced_);
        o.replaced_.clear();
    }
    return *this;
}

tree_nodes::~tree_nodes() {
    if (epochs_ && !replaced_.empty()) epochs_->retire(replaced_);
}

epoch_pin* tree_nodes::publish() {
    epoch_pin* p = epochs_->publish(epoch_, replaced_);
    epoch_ = new_epoch();
    return p;
}

void tree_nodes::collect(node* n) {
    if (!n->is_leaf())
        for (std::size_t i = 0; i < n->count(); ++i) collect(n->child(i));
    replaced(n);
}

void tree_nodes::drop_tree(node* root) {
    if (root) collect(root);
    bytes = 0;
    if (epochs_ && !replaced_.empty()) epochs_->retire(replaced_);
}

}  // namespace fugu::detail
