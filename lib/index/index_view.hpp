// SPDX-License-Identifier: MIT
// One published, immutable version of the in-RAM index: an ordered map from key bytes to
// value_refs. A view pins the epoch it was published in (node_epochs), which keeps every
// node of its tree, shared with other versions, from being freed; so copying one is O(1)
// and reading one needs no lock: any thread may read or destroy its own copy while the
// builder produces newer versions elsewhere.
#pragma once

#include "index/node.hpp"
#include "index/node_epochs.hpp"
#include "index/value_ref.hpp"

#include <boost/container/small_vector.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace fugu::detail {

class index_builder;

// What the index iterator yields. `key` points into a node: valid while a view that can
// see it lives.
struct index_entry {
    std::string_view key;
    value_ref value;
};

// The value stored under `key` in the tree at `root` (which may be null).
std::optional<value_ref> find_in(const node* root, std::string_view key) noexcept;

class index_view {
public:
    class iterator;

    index_view() noexcept = default;
    index_view(const index_view& o) noexcept;
    index_view(index_view&& o) noexcept;
    index_view& operator=(const index_view& o) noexcept;
    index_view& operator=(index_view&& o) noexcept;
    ~index_view();

    std::optional<value_ref> find(std::string_view key) const noexcept {
        return find_in(root_, key);
    }
    bool contains(std::string_view key) const noexcept { return find(key).has_value(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    // Bytes of the nodes this version reaches (shared ones included).
    std::size_t memory_bytes() const noexcept { return bytes_; }

    // Iterators stay valid while this view or a copy of it lives, whatever is published
    // later.
    iterator begin() const;
    iterator end() const noexcept;
    // The first entry whose key is >= key.
    iterator lower_bound(std::string_view key) const;

    // For invariant checks and statistics.
    const node* root() const noexcept { return root_; }

private:
    friend class index_builder;
    // Adopts one pin of the epoch `root` was published in.
    index_view(node* root, std::size_t size, std::size_t bytes, epoch_pin* pin) noexcept
        : root_(root), size_(size), bytes_(bytes), pin_(pin) {}

    node* root_ = nullptr;
    std::size_t size_ = 0;
    std::size_t bytes_ = 0;  // of the nodes reachable from root_
    epoch_pin* pin_ = nullptr;
};

// A forward iterator in key order. Persistent trees have no sibling links, so it keeps
// the path from the root: one (node, slot) per level.
class index_view::iterator {
public:
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category = std::input_iterator_tag;  // yields values, not references
    using value_type = index_entry;
    using difference_type = std::ptrdiff_t;
    using reference = index_entry;

    struct arrow_proxy {
        index_entry e;
        const index_entry* operator->() const noexcept { return &e; }
    };

    iterator() noexcept = default;

    // REQUIRES (all four): not end().
    std::string_view key() const noexcept { return leaf().n->key(leaf().i); }
    value_ref value() const noexcept { return leaf().n->value(leaf().i); }
    index_entry operator*() const noexcept { return {key(), value()}; }
    arrow_proxy operator->() const noexcept { return {**this}; }

    iterator& operator++() {
        ++path_.back().i;
        settle();
        return *this;
    }
    iterator operator++(int) {
        iterator old = *this;
        ++*this;
        return old;
    }

    // Leaf at a time, for scans that read every entry: the leaf the iterator is in and
    // its slot there (REQUIRES: not end()), and a step to the first entry of the next
    // leaf, which first starts loading the leaf after that into the cache.
    const node& leaf_node() const noexcept { return *leaf().n; }
    std::size_t leaf_slot() const noexcept { return leaf().i; }
    void next_leaf() {
        path_.back().i = static_cast<std::uint32_t>(leaf().n->count());
        settle();
        prefetch_next_leaf();
    }

    friend bool operator==(const iterator& a, const iterator& b) noexcept {
        if (a.path_.empty() || b.path_.empty()) return a.path_.empty() == b.path_.empty();
        return a.leaf().n == b.leaf().n && a.leaf().i == b.leaf().i;
    }

private:
    friend class index_view;
    struct frame {
        const node* n;
        std::uint32_t i;  // slot in n: the entry (leaf) or the child on the path (inner)
    };
    const frame& leaf() const noexcept { return path_.back(); }
    // From a position that may be past the end of a node, moves to the next entry (or to
    // end()), descending to leftmost leaves on the way.
    void settle();
    void prefetch_next_leaf() const noexcept;

    // Empty means end(). Eight levels hold billions of short keys; trees of long keys,
    // which are deeper, spill to the heap.
    boost::container::small_vector<frame, 8> path_;
};

}  // namespace fugu::detail
