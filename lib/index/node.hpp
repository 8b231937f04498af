// SPDX-License-Identifier: MIT
// One page of the in-RAM index tree: a block (of a fixed size per level) with a header, a
// sorted slot array growing from the front and key bytes growing from the back. Leaves map keys to
// value_refs; inner nodes map separator keys to children. Each node carries the epoch of
// the index_builder that made it: a node of the builder's current (unpublished) epoch is
// its alone and edited in place; a node of an earlier epoch may be reachable from a
// published index_view and is immutable. Nodes hold no counts of who refers to them:
// node_epochs decides when a replaced node can be freed.
#pragma once

#include "index/value_ref.hpp"

#include <fugu/limits.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace fugu::detail {

// Leaves are small because every batch copies each leaf it touches: the copies, and the
// originals the previous version keeps until it is released, are the index's transient
// memory. Inner nodes are few, and large enough to take the separators of any split.
inline constexpr std::size_t leaf_size = 2048;
inline constexpr std::size_t inner_size = 4096;
inline constexpr std::size_t node_header_size = 16;

// Bytes of a node at `level` (0 for leaves), and of those, the bytes for slots and keys.
constexpr std::size_t node_bytes(unsigned level) noexcept {
    return level == 0 ? leaf_size : inner_size;
}
constexpr std::size_t node_capacity(unsigned level) noexcept {
    return node_bytes(level) - node_header_size;
}

using slot_payload = std::array<std::byte, 12>;

// Slot i of a leaf holds key i and its value_ref. Slot i of an inner node holds child i and
// the separator below which child i - 1 ends; slot 0 of an inner node has no key (its lower
// bound is the parent's separator). Every slot keeps key_head(key), so that searches
// compare most keys without reading their bytes elsewhere in the node.
struct node_slot {
    std::uint16_t key_off;  // from the start of the node
    std::uint16_t key_len;
    std::uint32_t head;
    slot_payload payload;  // leaf: value_ref; inner: the child pointer
};
static_assert(sizeof(node_slot) == 20);

// Bytes an entry with a key of `key_len` bytes takes in a node.
constexpr std::size_t entry_bytes(std::size_t key_len) noexcept {
    return sizeof(node_slot) + key_len;
}
// A leaf holds any one entry. Restructuring full leaves to take a new entry adds or
// replaces at most three separators in their parent, which an inner node with a single
// child always has room for; so making room by splitting parents comes to an end.
static_assert(entry_bytes(max_key_size) <= node_capacity(0));
static_assert(sizeof(node_slot) + 3 * entry_bytes(max_key_size) <= node_capacity(1));
static_assert(inner_size <= 0xffff, "key offsets are 16 bits");

// The first four bytes of `key`, zero-padded, as a big-endian number: if key_head(a) <
// key_head(b) then a < b, and equal heads mean the first min(4, |a|, |b|) bytes are equal.
constexpr std::uint32_t key_head(std::string_view key) noexcept {
    if (!std::is_constant_evaluated() && key.size() >= 4) {
        std::uint32_t w;
        std::memcpy(&w, key.data(), sizeof w);
        if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap32(w);
        return w;
    }
    std::uint32_t h = 0;
    for (std::size_t i = 0; i < 4; ++i)
        h = (h << 8) | (i < key.size() ? static_cast<unsigned char>(key[i]) : 0u);
    return h;
}

// The shortest key s with a < s <= b. Leaves are split on it so that inner nodes carry
// short separators. REQUIRES: a < b.
std::string_view shortest_separator(std::string_view a, std::string_view b) noexcept;

slot_payload leaf_payload(value_ref v) noexcept;
value_ref payload_value(const slot_payload& p) noexcept;
class node;
slot_payload inner_payload(node* child) noexcept;
node* payload_child(const slot_payload& p) noexcept;

// Nodes allocated and not yet freed, in the whole process. Tests use it to see that
// releasing the last version of a tree frees all of it.
std::size_t live_nodes() noexcept;

// Starts loading the first `bytes` of a node (or of a block about to become one) into the
// cache without waiting; `for_writing` when it is about to be written.
template <bool for_writing = false>
inline void prefetch_lines(const void* p, std::size_t bytes) noexcept {
    const char* c = static_cast<const char*>(p);
    for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(c + off, for_writing ? 1 : 0);
}

class node {
public:
    // A new empty node of `epoch`. `level` is 0 for leaves, else the height above them.
    static node* make(unsigned level, std::uint64_t epoch);
    // A copy of `epoch` with the same entries; an inner copy points at the same children.
    node* clone(std::uint64_t epoch) const;
    // Frees this node alone, never its children. Null is ignored.
    friend void free_node(node* n) noexcept;
    // The same without reading the node (it may be cold): its level is given.
    friend void free_node(node* n, unsigned level) noexcept;

    // The epoch of the builder that made the node. A child's epoch is never newer than its
    // parent's: published nodes do not change, so they point only at older or same-epoch
    // nodes.
    std::uint64_t epoch() const noexcept { return epoch_; }
    unsigned level() const noexcept { return level_; }
    bool is_leaf() const noexcept { return level_ == 0; }
    std::size_t count() const noexcept { return count_; }

    std::string_view key(std::size_t i) const noexcept {
        const node_slot& s = slots()[i];
        return {bytes() + s.key_off, s.key_len};
    }
    const slot_payload& payload(std::size_t i) const noexcept { return slots()[i].payload; }
    std::uint32_t head(std::size_t i) const noexcept { return slots()[i].head; }
    value_ref value(std::size_t i) const noexcept { return payload_value(slots()[i].payload); }
    node* child(std::size_t i) const noexcept { return payload_child(slots()[i].payload); }

    // Leaf: the first slot whose key is >= key (count() if none).
    std::size_t lower_bound(std::string_view key) const noexcept;
    // True if slot i exists and holds exactly `key`; `h` is key_head(key).
    bool holds(std::size_t i, std::string_view key, std::uint32_t h) const noexcept {
        if (i >= count_) return false;
        const node_slot& s = slots()[i];
        if (s.head != h || s.key_len != key.size()) return false;
        // Equal heads cover the first four bytes (or all of a shorter key).
        const std::size_t skip = key.size() < 4 ? key.size() : 4;
        return std::memcmp(bytes() + s.key_off + skip, key.data() + skip, key.size() - skip) == 0;
    }
    bool holds(std::size_t i, std::string_view key) const noexcept {
        return holds(i, key, key_head(key));
    }
    // Inner: the child whose key range holds key.
    std::size_t route(std::string_view key) const noexcept;

    // Header, slots and live key bytes; what a compacted copy would use.
    std::size_t used_bytes() const noexcept {
        return node_header_size + count_ * sizeof(node_slot) + (size_bytes() - heap_ - dead_);
    }
    // Bytes available once dead key bytes are reclaimed (edits compact as needed).
    std::size_t free_bytes() const noexcept { return size_bytes() - used_bytes(); }
    std::size_t size_bytes() const noexcept { return node_bytes(level_); }

    // Edits. REQUIRES: the node is of the editing builder's current epoch, and free_bytes() covers what the edit adds. A key
    // passed in must not point into this node.
    void append(std::string_view key, const slot_payload& p) noexcept;
    void insert(std::size_t pos, std::string_view key, const slot_payload& p) noexcept;
    void erase(std::size_t pos) noexcept;
    void set_key(std::size_t i, std::string_view key) noexcept;
    void drop_key(std::size_t i) noexcept;
    void set_value(std::size_t i, value_ref v) noexcept { slots()[i].payload = leaf_payload(v); }
    void set_child(std::size_t i, node* c) noexcept {
        std::memcpy(slots()[i].payload.data(), &c, sizeof c);
    }

private:
    node(unsigned level, std::uint64_t epoch) noexcept
        : epoch_(epoch),
          level_(static_cast<std::uint8_t>(level)),
          heap_(static_cast<std::uint16_t>(node_bytes(level))) {}

    // The header is the start of a node_bytes(level) block; slots and keys follow it.
    const char* bytes() const noexcept { return reinterpret_cast<const char*>(this); }
    char* bytes() noexcept { return reinterpret_cast<char*>(this); }
    const node_slot* slots() const noexcept {
        return reinterpret_cast<const node_slot*>(bytes() + node_header_size);
    }
    node_slot* slots() noexcept { return reinterpret_cast<node_slot*>(bytes() + node_header_size); }
    std::size_t contiguous_free() const noexcept {
        return heap_ - node_header_size - count_ * sizeof(node_slot);
    }
    // Stores key bytes at the low end of the key area, compacting first if needed.
    std::uint16_t push_key(std::string_view key) noexcept;
    // key(i) < key, given key_head(key) == h: the head decides unless the heads are equal.
    bool key_less(std::size_t i, std::string_view key, std::uint32_t h) const noexcept {
        const node_slot& s = slots()[i];
        if (s.head != h) return s.head < h;
        return tail_compare(s, key) < 0;
    }
    // key(i) compared with key when their heads are equal: only the bytes past the head.
    int tail_compare(const node_slot& s, std::string_view key) const noexcept {
        const std::size_t skip = std::min<std::size_t>({4, s.key_len, key.size()});
        return std::string_view(bytes() + s.key_off + skip, s.key_len - skip)
            .compare(key.substr(skip));
    }
    void compact() noexcept;
    bool overlaps(std::string_view key) const noexcept;

    std::uint64_t epoch_;
    std::uint8_t level_;
    [[maybe_unused]] std::uint8_t spare_ = 0;  // pads the header to node_header_size
    std::uint16_t count_ = 0;
    std::uint16_t heap_;      // key bytes live in [heap_, size_bytes())
    std::uint16_t dead_ = 0;  // bytes in [heap_, size_bytes()) no slot refers to
};
static_assert(sizeof(node) == node_header_size && alignof(node) <= 16);

inline slot_payload leaf_payload(value_ref v) noexcept {
    slot_payload p;
    std::memcpy(p.data(), &v, sizeof v);
    return p;
}

inline value_ref payload_value(const slot_payload& p) noexcept {
    value_ref v;
    std::memcpy(&v, p.data(), sizeof v);
    return v;
}

inline slot_payload inner_payload(node* child) noexcept {
    slot_payload p{};
    std::memcpy(p.data(), &child, sizeof child);
    return p;
}

inline node* payload_child(const slot_payload& p) noexcept {
    node* c;
    std::memcpy(&c, p.data(), sizeof c);
    return c;
}

static_assert(sizeof(value_ref) == sizeof(slot_payload));
static_assert(sizeof(node*) <= sizeof(slot_payload));

}  // namespace fugu::detail
