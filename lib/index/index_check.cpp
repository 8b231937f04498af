// SPDX-License-Identifier: MIT
// The invariant walk behind check_index().
#include "index/index_check.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace fugu::detail {

namespace {

using bound = std::optional<std::string_view>;

void fail(const std::string& what) { throw std::logic_error("index invariant broken: " + what); }

void check_node(const node& n, unsigned level, bound lo, bound hi, index_shape& s) {
    if (n.level() != level) fail("node level does not fall by one per step down");
    if (n.count() == 0) fail("empty node below the root");
    if (!n.is_leaf())
        for (std::size_t i = 0; i < n.count(); ++i)
            if (n.child(i)->epoch() > n.epoch()) fail("child of a newer epoch than its parent");
    ++s.nodes;
    s.memory += n.size_bytes();
    const auto base = reinterpret_cast<std::uintptr_t>(&n);
    const std::uintptr_t keys_from = base + node_header_size + n.count() * sizeof(node_slot);
    std::size_t key_bytes = 0;
    for (std::size_t i = 0; i < n.count(); ++i) {
        const std::string_view k = n.key(i);
        key_bytes += k.size();
        if (n.head(i) != key_head(k)) fail("slot head differs from its key's");
        const auto at = reinterpret_cast<std::uintptr_t>(k.data());
        if (!k.empty() && (at < keys_from || at + k.size() > base + n.size_bytes()))
            fail("key bytes outside the node's key area");
    }
    if (n.used_bytes() != node_header_size + n.count() * sizeof(node_slot) + key_bytes)
        fail("node byte accounting is off");

    if (n.is_leaf()) {
        ++s.leaves;
        s.keys += n.count();
        s.leaf_bytes += n.used_bytes();
        s.key_bytes += key_bytes;
        for (std::size_t i = 0; i < n.count(); ++i) {
            const std::string_view k = n.key(i);
            if (i > 0 && !(n.key(i - 1) < k)) fail("leaf keys not strictly ascending");
            if (lo && k < *lo) fail("key below its parent's separator");
            if (hi && !(k < *hi)) fail("key at or above the next separator");
        }
        return;
    }
    s.inner_bytes += n.used_bytes();
    if (!n.key(0).empty()) fail("first slot of an inner node carries a key");
    for (std::size_t i = 0; i < n.count(); ++i) {
        const bound child_lo = i == 0 ? lo : bound(n.key(i));
        const bound child_hi = i + 1 < n.count() ? bound(n.key(i + 1)) : hi;
        if (i > 0) {
            if (lo && *child_lo < *lo) fail("separator below its parent's separator");
            if (hi && !(*child_lo < *hi)) fail("separator at or above the next separator");
            if (i > 1 && !(n.key(i - 1) < n.key(i))) fail("separators not strictly ascending");
        }
        check_node(*n.child(i), level - 1, child_lo, child_hi, s);
    }
}

}  // namespace

index_shape check_index(const index_view& view) {
    index_shape s;
    const node* root = view.root();
    if (root) {
        s.height = root->level() + 1;
        check_node(*root, root->level(), std::nullopt, std::nullopt, s);
        if (!root->is_leaf() && root->count() < 2) fail("inner root with fewer than two children");
    }
    if (s.keys != view.size()) fail("view size differs from the keys in its tree");
    if (s.memory != view.memory_bytes()) fail("view memory_bytes() differs from its tree");
    return s;
}

}  // namespace fugu::detail
