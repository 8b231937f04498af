// SPDX-License-Identifier: MIT
// The builder's edits: descend from the root, copying shared nodes on the way (path
// copying) and editing exclusive ones in place, then let the rebalancer restructure
// children that overflow or underflow. Recursion is as deep as the tree is high.
#include "index/index_builder.hpp"

#include <boost/container/small_vector.hpp>

#include <cstdint>
#include <stdexcept>
#include <utility>

namespace fugu::detail {

index_builder::index_builder(const index_view& base) : size_(base.size_) {
    if (!base.root_) return;
    std::vector<node*> made;
    try {
        root_ = copy_tree(*base.root_, made);
    } catch (...) {
        for (node* n : made) nodes_.discard(n);
        throw;
    }
    nodes_.bytes = base.bytes_;
}

node* index_builder::copy_tree(const node& n, std::vector<node*>& made) {
    // The slot first, so that every node made is on the list even if the push would throw.
    made.push_back(nullptr);
    node* c = made.back() = nodes_.copy(n);
    if (!c->is_leaf())
        for (std::size_t i = 0; i < c->count(); ++i) c->set_child(i, copy_tree(*n.child(i), made));
    return c;
}

index_builder::index_builder(index_builder&& o) noexcept
    : root_(std::exchange(o.root_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      copies_(std::exchange(o.copies_, 0)),
      nodes_(std::move(o.nodes_)),
      rebalancer_(std::move(o.rebalancer_)) {}

index_builder& index_builder::operator=(index_builder&& o) noexcept {
    if (this != &o) {
        nodes_.drop_tree(std::exchange(root_, nullptr));
        root_ = std::exchange(o.root_, nullptr);
        size_ = std::exchange(o.size_, 0);
        copies_ = std::exchange(o.copies_, 0);
        nodes_ = std::move(o.nodes_);
        rebalancer_ = std::move(o.rebalancer_);
    }
    return *this;
}

index_builder::~index_builder() { nodes_.drop_tree(root_); }

index_view index_builder::publish() {
    // Ending the epoch is what makes the next edit of any node in the tree copy it.
    epoch_pin* pin = nodes_.publish();
    return index_view(root_, size_, nodes_.bytes, pin);
}

void index_builder::prefetch(std::string_view key) const noexcept {
    const node* n = root_;
    if (!n || n->is_leaf()) return;
    // Inner nodes are few and stay cached; the leaf is the miss. Its header is not read
    // here (that would wait for it): the level above says it is a leaf.
    while (n->level() > 1) n = n->child(n->route(key));
    // The front half: header and slots, which a search reads first; a copy reads on in
    // order, which the hardware prefetcher follows.
    prefetch_lines(n->child(n->route(key)), leaf_size / 2);
}

std::optional<value_ref> index_builder::put(std::string_view key, value_ref v) {
    if (key.size() > max_key_size) throw std::length_error("index key longer than max_key_size");
    std::optional<value_ref> old;
    if (!root_) {
        root_ = nodes_.make(0);
        nodes_.bytes = leaf_size;
    }
    if (root_->is_leaf()) {
        const std::size_t pos = root_->lower_bound(key);
        const bool present = root_->holds(pos, key);
        if (present || root_->free_bytes() >= entry_bytes(key.size())) {
            node* leaf = own_root();
            if (present) {
                old = leaf->value(pos);
                leaf->set_value(pos, v);
            } else {
                leaf->insert(pos, key, leaf_payload(v));
                ++size_;
            }
            return old;
        }
        // A lone leaf that must split needs a parent to hold the separator.
        grow();
    }
    own_root();
    while (!insert_below(*root_, key, v, old)) {
        grow();
        // Cannot fail: a root with a single child has room for a separator.
        rebalancer_.split_inner(*root_, 0, key, nodes_);
    }
    return old;
}

bool index_builder::insert_below(node& n,
                                 std::string_view key,
                                 value_ref v,
                                 std::optional<value_ref>& old) {
    for (;;) {
        const std::size_t i = n.route(key);
        if (n.child(i)->is_leaf()) return insert_in_leaf(n, i, key, v, old);
        node* c = own_child(n, i);
        if (insert_below(*c, key, v, old)) return true;
        if (!rebalancer_.split_inner(n, i, key, nodes_)) return false;
    }
}

bool index_builder::insert_in_leaf(node& parent,
                                   std::size_t i,
                                   std::string_view key,
                                   value_ref v,
                                   std::optional<value_ref>& old) {
    const node* c = parent.child(i);
    const std::size_t pos = c->lower_bound(key);
    if (c->holds(pos, key)) {
        node* leaf = own_child(parent, i);
        old = leaf->value(pos);
        leaf->set_value(pos, v);
        return true;
    }
    if (c->free_bytes() >= entry_bytes(key.size()))
        own_child(parent, i)->insert(pos, key, leaf_payload(v));
    else if (!rebalancer_.insert_overflow(parent, i, pos, key, v, nodes_))
        return false;
    ++size_;
    return true;
}

std::optional<value_ref> index_builder::remove(std::string_view key) {
    std::optional<value_ref> old = find(key);
    if (!old) return old;  // nothing to copy for an absent key
    node* r = own_root();
    if (r->is_leaf())
        r->erase(r->lower_bound(key));
    else
        remove_below(*r, key);
    --size_;
    shrink();
    return old;
}

void index_builder::remove_below(node& n, std::string_view key) {
    const std::size_t i = n.route(key);
    node* c = own_child(n, i);
    if (c->is_leaf())
        c->erase(c->lower_bound(key));
    else
        remove_below(*c, key);
    rebalancer_.after_remove(n, i, nodes_);
}

bool index_builder::replace_if(std::string_view key, value_ref expected, value_ref replacement) {
    // One descent that reads, remembering the route, then copies shared nodes along that
    // route only when the entry is still as compaction read it: moves of a merge that
    // later saves made stale copy nothing.
    if (!root_) return false;
    boost::container::small_vector<std::uint32_t, 8> route;
    const node* n = root_;
    while (!n->is_leaf()) {
        const std::size_t i = n->route(key);
        route.push_back(static_cast<std::uint32_t>(i));
        n = n->child(i);
    }
    const std::size_t pos = n->lower_bound(key);
    if (!n->holds(pos, key) || n->value(pos) != expected) return false;
    node* m = own_root();
    for (auto i : route) m = own_child(*m, i);
    m->set_value(pos, replacement);
    return true;
}

node* index_builder::own_root() {
    if (!nodes_.owned(*root_)) {
        node* copy = nodes_.copy(*root_);
        ++copies_;
        nodes_.replaced(std::exchange(root_, copy));
    }
    return root_;
}

node* index_builder::own_child(node& parent, std::size_t i) {
    node* c = parent.child(i);
    if (nodes_.owned(*c)) return c;
    node* copy = nodes_.copy(*c);
    ++copies_;
    parent.set_child(i, copy);
    nodes_.replaced(c);
    return copy;
}

void index_builder::grow() {
    node* r = nodes_.make(root_->level() + 1);
    r->append({}, inner_payload(root_));
    root_ = r;
    nodes_.bytes += inner_size;
}

void index_builder::shrink() {
    while (root_) {
        if (root_->count() == 0) {
            nodes_.replaced(std::exchange(root_, nullptr));
            nodes_.bytes = 0;
        } else if (!root_->is_leaf() && root_->count() == 1) {
            node* child = root_->child(0);
            nodes_.replaced(std::exchange(root_, child));
            nodes_.bytes -= inner_size;
        } else {
            return;
        }
    }
}

}  // namespace fugu::detail
