// SPDX-License-Identifier: MIT
// Lookups and iteration over a published index version, and the epoch pins of
// index_view handles. Nothing here writes to a node.
#include "index/index_view.hpp"

#include <utility>

namespace fugu::detail {

std::optional<value_ref> find_in(const node* n, std::string_view key) noexcept {
    if (!n) return std::nullopt;
    while (!n->is_leaf()) n = n->child(n->route(key));
    const std::size_t i = n->lower_bound(key);
    if (!n->holds(i, key)) return std::nullopt;
    return n->value(i);
}

index_view::index_view(const index_view& o) noexcept
    : root_(o.root_), size_(o.size_), bytes_(o.bytes_), pin_(o.pin_) {
    if (pin_) pin(pin_);
}

index_view::index_view(index_view&& o) noexcept
    : root_(std::exchange(o.root_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      bytes_(std::exchange(o.bytes_, 0)),
      pin_(std::exchange(o.pin_, nullptr)) {}

index_view& index_view::operator=(const index_view& o) noexcept {
    if (this != &o) {
        if (o.pin_) pin(o.pin_);
        if (pin_) unpin(pin_);
        root_ = o.root_;
        size_ = o.size_;
        bytes_ = o.bytes_;
        pin_ = o.pin_;
    }
    return *this;
}

index_view& index_view::operator=(index_view&& o) noexcept {
    if (this != &o) {
        if (pin_) unpin(pin_);
        root_ = std::exchange(o.root_, nullptr);
        size_ = std::exchange(o.size_, 0);
        bytes_ = std::exchange(o.bytes_, 0);
        pin_ = std::exchange(o.pin_, nullptr);
    }
    return *this;
}

index_view::~index_view() {
    if (pin_) unpin(pin_);
}

index_view::iterator index_view::begin() const {
    iterator it;
    if (root_) {
        it.path_.push_back({root_, 0});
        it.settle();
    }
    return it;
}

index_view::iterator index_view::end() const noexcept { return iterator{}; }

index_view::iterator index_view::lower_bound(std::string_view key) const {
    iterator it;
    if (!root_) return it;
    const node* n = root_;
    while (!n->is_leaf()) {
        const std::size_t i = n->route(key);
        it.path_.push_back({n, static_cast<std::uint32_t>(i)});
        n = n->child(i);
    }
    it.path_.push_back({n, static_cast<std::uint32_t>(n->lower_bound(key))});
    it.settle();
    return it;
}

void index_view::iterator::settle() {
    while (!path_.empty()) {
        const frame f = path_.back();
        if (f.i < f.n->count()) {
            if (f.n->is_leaf()) return;
            path_.push_back({f.n->child(f.i), 0});
            continue;
        }
        path_.pop_back();
        if (!path_.empty()) ++path_.back().i;
    }
}

void index_view::iterator::prefetch_next_leaf() const noexcept {
    // The parent's next child, when it has one: leaves are visited in key order but lie
    // anywhere in memory. The slots are what a scan reads, and they are at the front.
    if (path_.size() < 2) return;
    const frame& parent = path_[path_.size() - 2];
    if (parent.i + 1 < parent.n->count()) prefetch_lines(parent.n->child(parent.i + 1), leaf_size / 2);
}

}  // namespace fugu::detail

