// SPDX-License-Identifier: MIT
// Splits, moves between siblings and merges, for the index builder. Sibling moves before
// splits, and three-way splits of two full siblings, keep leaves about 85% full under
// random inserts; uneven splits at the ends keep them full under sequential loads.
#include "index/rebalancer.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <new>

namespace fugu::detail {

namespace {

// Free bytes two siblings must have between them, beyond the new entry, before entries
// are moved from one to the other rather than both being split. Smaller fills leaves
// fuller but rewrites two nodes more often; this keeps a few short entries of room.
constexpr std::size_t move_slack = node_capacity(0) / 16;

// A child below this share of its bytes is merged with, or refilled from, a sibling.
constexpr std::size_t underfull_bytes(unsigned level) { return node_bytes(level) * 2 / 5; }

// Two siblings with at most this many bytes together are merged; more, and they are
// evened out instead (each then stays above underfull_bytes), so that the next few
// inserts do not split them again.
constexpr std::size_t merge_bytes(unsigned level) { return node_capacity(level) * 17 / 20; }

void erase_child(node& parent, std::size_t i) {
    parent.erase(i);
    // The new first child's lower bound is now the parent's own.
    if (i == 0 && parent.count() > 0) parent.drop_key(0);
}

}  // namespace

bool rebalancer::insert_overflow(node& parent,
                                 std::size_t i,
                                 std::size_t pos,
                                 std::string_view key,
                                 value_ref v,
                                 tree_nodes& nodes) {
    const node& c = *parent.child(i);
    const std::size_t need = entry_bytes(key.size());
    const node* left = i > 0 ? parent.child(i - 1) : nullptr;
    const node* right = i + 1 < parent.count() ? parent.child(i + 1) : nullptr;
    auto absorbs = [&](const node* s) {
        return s && c.free_bytes() + s->free_bytes() >= need + move_slack;
    };
    if (pos == c.count() && !absorbs(right)) return split_off(parent, i, true, key, v, nodes);
    if (pos == 0 && !absorbs(left)) return split_off(parent, i, false, key, v, nodes);

    // Neither sibling alone has room: spread over all three, or split the three into four.
    if (left && right && !absorbs(left) && !absorbs(right)) {
        gather(parent, i - 1, 3);
        add_entry(left->count() + pos, key, v);
        const bool room = c.free_bytes() + left->free_bytes() + right->free_bytes() >= need + move_slack;
        if (cut(room ? 3 : 4, 0)) return replace(parent, i - 1, 3, 0, room ? 3 : 4, nodes);
        // Long keys that do not cut into four: work with one sibling instead.
    }

    // Share with the emptier sibling; if it has too little room, split with it into three.
    const bool use_left = left && (!right || left->free_bytes() >= right->free_bytes());
    const node* sibling = use_left ? left : right;
    const std::size_t first = use_left ? i - 1 : i;
    const std::size_t n = sibling ? 2 : 1;
    gather(parent, first, n);
    add_entry(use_left ? left->count() + pos : pos, key, v);

    // n nodes and an entry always fit in n + 2: the node the entry goes into splits
    // around it at worst. Mostly n + 1 is enough.
    std::size_t parts = n == 2 && absorbs(sibling) ? 2 : n + 1;
    if (!cut(parts, 0) && !cut(++parts, 0) && !cut(++parts, 0)) return false;  // unreachable
    return replace(parent, first, n, 0, parts, nodes);
}

void rebalancer::add_entry(std::size_t at, std::string_view key, value_ref v) {
    entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(at), entry{key, leaf_payload(v)});
}

bool rebalancer::split_off(node& parent,
                           std::size_t i,
                           bool after,
                           std::string_view key,
                           value_ref v,
                           tree_nodes& nodes) {
    node* c = parent.child(i);
    node* fresh = nodes.make(0);
    fresh->append(key, leaf_payload(v));
    // The separator points into a node that stays in the tree.
    const std::string_view sep = after ? shortest_separator(c->key(c->count() - 1), fresh->key(0))
                                       : shortest_separator(fresh->key(0), c->key(0));
    if (parent.free_bytes() < entry_bytes(sep.size())) {
        nodes.discard(fresh);
        return false;
    }
    if (after) {
        parent.insert(i + 1, sep, inner_payload(fresh));
    } else {
        // The new leaf takes over c's lower bound; c moves one slot right.
        parent.set_child(i, fresh);
        parent.insert(i + 1, sep, inner_payload(c));
    }
    nodes.bytes += leaf_size;
    return true;
}

bool rebalancer::split_inner(node& parent,
                             std::size_t i,
                             std::string_view key,
                             tree_nodes& nodes) {
    const node& c = *parent.child(i);
    assert(c.count() >= 2);
    gather(parent, i, 1);
    const std::size_t m = entries_.size();
    const std::size_t j = c.route(key);
    if (j + 1 == m || j == 0) {
        // Sequential loads keep arriving at this end: leave the rest of c full.
        cuts_ = {0, j == 0 ? 1 : m - 1, m, 0};
    } else if (!cut(2, c.level())) {
        return false;  // unreachable: one node's entries always fit in two
    }
    return replace(parent, i, 1, c.level(), 2, nodes);
}

void rebalancer::after_remove(node& parent, std::size_t i, tree_nodes& nodes) {
    node* c = parent.child(i);
    const unsigned level = c->level();
    if (c->count() == 0) {
        erase_child(parent, i);
        nodes.replaced(c);
        nodes.bytes -= node_bytes(level);
        return;
    }
    if (c->used_bytes() >= underfull_bytes(level) || parent.count() < 2) return;
    const node* left = i > 0 ? parent.child(i - 1) : nullptr;
    const node* right = i + 1 < parent.count() ? parent.child(i + 1) : nullptr;
    const bool use_left = left && (!right || left->used_bytes() <= right->used_bytes());
    const std::size_t first = use_left ? i - 1 : i;
    try {
        gather(parent, first, 2);
        const std::size_t parts = gathered_bytes_total() <= merge_bytes(level) ? 1 : 2;
        if (cut(parts, level)) replace(parent, first, 2, level, parts, nodes);
    } catch (const std::bad_alloc&) {
        // The removal is done already; without memory to restructure, the child just
        // stays underfull.
    }
}

void rebalancer::gather(const node& parent, std::size_t first, std::size_t n) {
    assert(n <= 3 && (n <= 2 || parent.level() == 1));
    entries_.clear();
    for (std::size_t j = 0; j < n; ++j) {
        const node& c = *parent.child(first + j);
        for (std::size_t k = 0; k < c.count(); ++k) {
            std::string_view key = c.key(k);
            if (!c.is_leaf() && k == 0 && j > 0) {
                // A copy: the parent's key area changes before the entries are used up.
                const std::string_view sep = parent.key(first + j);
                std::memcpy(separator_.data(), sep.data(), sep.size());
                key = {separator_.data(), sep.size()};
            }
            entries_.push_back(entry{key, c.payload(k)});
        }
    }
}

std::size_t rebalancer::gathered_bytes_total() const noexcept {
    std::size_t total = 0;
    for (const entry& e : entries_) total += entry_bytes(e.key.size());
    return total;
}

bool rebalancer::cut(std::size_t parts, unsigned level) {
    const std::size_t capacity = node_capacity(level);
    const std::size_t m = entries_.size();
    if (parts == 0 || parts > max_runs || m < parts) return false;
    bytes_.resize(m + 1);
    bytes_[0] = 0;
    for (std::size_t k = 0; k < m; ++k)
        bytes_[k + 1] = bytes_[k] + static_cast<std::uint32_t>(entry_bytes(entries_[k].key.size()));
    // Filling each node as far as it goes, from k on, uses the fewest nodes for the rest.
    parts_.resize(m + 1);
    parts_[m] = 0;
    for (std::size_t k = m, end = m; k-- > 0;) {
        while (gathered_bytes(k, end) > capacity) --end;
        parts_[k] = 1 + parts_[end];
    }
    if (parts_[0] > parts) return false;

    cuts_[0] = 0;
    std::size_t start = 0;
    for (std::size_t j = 0; j + 1 < parts; ++j) {
        const std::size_t later = parts - j - 1;  // runs still to cut after this one
        const std::size_t target = gathered_bytes(start, m) / (parts - j);
        std::size_t best = 0;
        std::size_t best_diff = std::numeric_limits<std::size_t>::max();
        for (std::size_t e = start + 1;
             e + later <= m && gathered_bytes(start, e) <= capacity;
             ++e) {
            if (parts_[e] > later) continue;
            const std::size_t b = gathered_bytes(start, e);
            const std::size_t diff = b > target ? b - target : target - b;
            if (diff < best_diff) {
                best = e;
                best_diff = diff;
            }
        }
        if (best == 0) return false;
        cuts_[j + 1] = best;
        start = best;
    }
    cuts_[parts] = m;
    return true;
}

bool rebalancer::replace(node& parent,
                         std::size_t first,
                         std::size_t old_n,
                         unsigned level,
                         std::size_t parts,
                         tree_nodes& nodes) {
    assert(old_n >= 1 && old_n <= 3 && parts >= 1 && parts <= max_runs);
    std::array<node*, max_runs> fresh{};
    try {
        for (std::size_t j = 0; j < parts; ++j) {
            node* x = nodes.make(level);
            for (std::size_t k = cuts_[j]; k < cuts_[j + 1]; ++k) {
                // An inner node's first key moves up into the parent as the separator.
                const bool implicit = level > 0 && k == cuts_[j];
                x->append(implicit ? std::string_view{} : entries_[k].key, entries_[k].payload);
            }
            fresh[j] = x;
        }
    } catch (...) {
        for (node* x : fresh) nodes.discard(x);
        throw;
    }
    std::array<std::string_view, max_runs> seps{};
    for (std::size_t j = 1; j < parts; ++j)
        seps[j] = level == 0 ? shortest_separator(fresh[j - 1]->key(fresh[j - 1]->count() - 1),
                                                  fresh[j]->key(0))
                             : entries_[cuts_[j]].key;

    // The parent is edited in this order: erase, replace separators, insert. Check that
    // its free bytes cover the most the edits ever need at once.
    const std::size_t kept = std::min(parts, old_n);
    std::ptrdiff_t use = 0;
    std::ptrdiff_t peak = 0;
    auto add = [&](std::ptrdiff_t d) {
        use += d;
        peak = std::max(peak, use);
    };
    for (std::size_t k = parts; k < old_n; ++k)
        add(-static_cast<std::ptrdiff_t>(entry_bytes(parent.key(first + k).size())));
    for (std::size_t j = 1; j < kept; ++j)
        add(static_cast<std::ptrdiff_t>(seps[j].size()) -
            static_cast<std::ptrdiff_t>(parent.key(first + j).size()));
    for (std::size_t j = old_n; j < parts; ++j)
        add(static_cast<std::ptrdiff_t>(entry_bytes(seps[j].size())));
    if (peak > static_cast<std::ptrdiff_t>(parent.free_bytes())) {
        for (std::size_t j = 0; j < parts; ++j) nodes.discard(fresh[j]);
        return false;
    }

    std::array<node*, 3> old{};
    for (std::size_t k = 0; k < old_n; ++k) old[k] = parent.child(first + k);
    for (std::size_t k = old_n; k-- > parts;) parent.erase(first + k);
    for (std::size_t j = 0; j < kept; ++j) {
        parent.set_child(first + j, fresh[j]);
        if (j > 0) parent.set_key(first + j, seps[j]);
    }
    for (std::size_t j = old_n; j < parts; ++j)
        parent.insert(first + j, seps[j], inner_payload(fresh[j]));
    // Separators may point into the old children: let them go only now. Their children
    // now belong to the new nodes.
    for (std::size_t k = 0; k < old_n; ++k) nodes.replaced(old[k]);
    nodes.bytes = nodes.bytes + (parts - old_n) * node_bytes(level);
    return true;
}

}  // namespace fugu::detail
