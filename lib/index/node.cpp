// SPDX-License-Identifier: MIT
// Node lifetime (pooled blocks, copy, free) and the in-place edits of a node's
// slot array and key area.
#include "index/node.hpp"

#include "index/node_pool.hpp"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <new>

namespace fugu::detail {

std::string_view shortest_separator(std::string_view a, std::string_view b) noexcept {
    assert(a < b);
    std::size_t n = 0;
    const std::size_t common = std::min(a.size(), b.size());
    while (n < common && a[n] == b[n]) ++n;
    // a < b, so b is longer than the common prefix and b[n] > a[n] where a has a byte.
    return b.substr(0, n + 1);
}

namespace {
std::atomic<std::size_t> live_node_count{0};
}  // namespace

std::size_t live_nodes() noexcept { return live_node_count.load(std::memory_order_relaxed); }

node* node::make(unsigned level, std::uint64_t epoch) {
    node* n = new (take_node_block(node_bytes(level))) node(level, epoch);
    live_node_count.fetch_add(1, std::memory_order_relaxed);
    return n;
}

node* node::clone(std::uint64_t epoch) const {
    node* copy = make(level_, epoch);
    // Byte for byte, dead key bytes included: they cost nothing in a fixed-size node, and
    // the copy compacts itself when it needs the room.
    std::memcpy(copy->slots(), slots(), count_ * sizeof(node_slot));
    std::memcpy(copy->bytes() + heap_, bytes() + heap_, size_bytes() - heap_);
    copy->count_ = count_;
    copy->heap_ = heap_;
    copy->dead_ = dead_;
    return copy;
}

void free_node(node* n) noexcept {
    if (n) free_node(n, n->level());
}

void free_node(node* n, unsigned level) noexcept {
    static_assert(std::is_trivially_destructible_v<node>);
    give_node_block(n, node_bytes(level));
    live_node_count.fetch_sub(1, std::memory_order_relaxed);
}

std::size_t node::lower_bound(std::string_view key) const noexcept {
    const std::uint32_t h = key_head(key);
    std::size_t lo = 0, hi = count_;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (key_less(mid, key, h))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

std::size_t node::route(std::string_view key) const noexcept {
    // The last child whose separator is <= key; slot 0 has no separator.
    const std::uint32_t h = key_head(key);
    std::size_t lo = 1, hi = count_;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        const node_slot& s = slots()[mid];
        if (s.head < h || (s.head == h && tail_compare(s, key) <= 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

bool node::overlaps(std::string_view key) const noexcept {
    const auto k = reinterpret_cast<std::uintptr_t>(key.data());
    const auto self = reinterpret_cast<std::uintptr_t>(this);
    return !key.empty() && k < self + size_bytes() && self < k + key.size();
}

std::uint16_t node::push_key(std::string_view key) noexcept {
    assert(!overlaps(key));
    if (key.empty()) return heap_;
    if (contiguous_free() < key.size()) compact();
    heap_ = static_cast<std::uint16_t>(heap_ - key.size());
    std::memcpy(bytes() + heap_, key.data(), key.size());
    return heap_;
}

void node::compact() noexcept {
    std::array<char, inner_size> keys;
    const std::size_t size = size_bytes();
    std::size_t top = size;
    node_slot* s = slots();
    for (std::size_t i = 0; i < count_; ++i) {
        top -= s[i].key_len;
        std::memcpy(keys.data() + top, bytes() + s[i].key_off, s[i].key_len);
        s[i].key_off = static_cast<std::uint16_t>(top);
    }
    std::memcpy(bytes() + top, keys.data() + top, size - top);
    heap_ = static_cast<std::uint16_t>(top);
    dead_ = 0;
}

void node::append(std::string_view key, const slot_payload& p) noexcept {
    // Splits, merges and copies fill fresh nodes entry by entry: no slots to shift.
    assert(free_bytes() >= entry_bytes(key.size()));
    if (contiguous_free() < entry_bytes(key.size())) compact();
    const std::uint16_t off = push_key(key);
    slots()[count_] = node_slot{off, static_cast<std::uint16_t>(key.size()), key_head(key), p};
    ++count_;
}

void node::insert(std::size_t pos, std::string_view key, const slot_payload& p) noexcept {
    assert(pos <= count_ && free_bytes() >= entry_bytes(key.size()));
    // Room for the slot first, so that a compaction in push_key cannot be undone by it.
    if (contiguous_free() < entry_bytes(key.size())) compact();
    const std::uint16_t off = push_key(key);
    node_slot* s = slots();
    std::memmove(s + pos + 1, s + pos, (count_ - pos) * sizeof(node_slot));
    s[pos] = node_slot{off, static_cast<std::uint16_t>(key.size()), key_head(key), p};
    ++count_;
}

void node::erase(std::size_t pos) noexcept {
    assert(pos < count_);
    node_slot* s = slots();
    dead_ = static_cast<std::uint16_t>(dead_ + s[pos].key_len);
    std::memmove(s + pos, s + pos + 1, (count_ - pos - 1) * sizeof(node_slot));
    if (--count_ == 0) {
        heap_ = static_cast<std::uint16_t>(size_bytes());
        dead_ = 0;
    }
}

void node::set_key(std::size_t i, std::string_view key) noexcept {
    drop_key(i);
    assert(free_bytes() >= key.size());
    const std::uint16_t off = push_key(key);
    slots()[i].key_off = off;
    slots()[i].key_len = static_cast<std::uint16_t>(key.size());
    slots()[i].head = key_head(key);
}

void node::drop_key(std::size_t i) noexcept {
    node_slot& s = slots()[i];
    dead_ = static_cast<std::uint16_t>(dead_ + s.key_len);
    s.key_len = 0;
    s.key_off = heap_;
    s.head = 0;
}

}  // namespace fugu::detail
