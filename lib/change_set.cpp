// SPDX-License-Identifier: MIT
// change_set: keys and values packed into one buffer, entries as offsets into it, so a
// change set of N entries costs two allocations that grow geometrically, not N.
#include <fugu/change_set.hpp>

#include <boost/unordered/unordered_flat_set.hpp>

#include <algorithm>
#include <functional>
#include <system_error>

namespace fugu {

namespace {

// Small change sets are checked for duplicates by scanning; past this many entries a hash
// set over entry indices takes over.
constexpr std::size_t linear_scan_limit = 16;

[[noreturn]] void fail(errc e) { throw std::system_error(std::error_code(make_error_code(e))); }

std::string_view as_chars(std::span<const std::byte> s) noexcept {
    return {reinterpret_cast<const char*>(s.data()), s.size()};
}

}  // namespace

// Indices into entries_, hashed and compared by the key bytes they name.
struct change_set::key_set {
    struct hash {
        using is_transparent = void;
        const change_set* owner;
        std::size_t operator()(std::string_view k) const noexcept {
            return std::hash<std::string_view>{}(k);
        }
        std::size_t operator()(std::uint32_t i) const noexcept {
            return (*this)(owner->entries_[i].key());
        }
    };
    struct equal {
        using is_transparent = void;
        const change_set* owner;
        std::string_view key(std::string_view k) const noexcept { return k; }
        std::string_view key(std::uint32_t i) const noexcept { return owner->entries_[i].key(); }
        template <class A, class B>
        bool operator()(const A& a, const B& b) const noexcept {
            return key(a) == key(b);
        }
    };
    explicit key_set(const change_set* owner) : set(0, hash{owner}, equal{owner}) {}
    boost::unordered_flat_set<std::uint32_t, hash, equal> set;
};

change_set::change_set() noexcept = default;
change_set::~change_set() = default;

change_set::change_set(change_set&& o) noexcept
    : bytes_(std::move(o.bytes_)), entries_(std::move(o.entries_)), puts_(o.puts_) {
    o.clear();
    rebind();
}

change_set& change_set::operator=(change_set&& o) noexcept {
    if (this != &o) {
        bytes_ = std::move(o.bytes_);
        entries_ = std::move(o.entries_);
        puts_ = o.puts_;
        lookup_.reset();
        o.clear();
        rebind();
    }
    return *this;
}

change_set::change_set(const change_set& o) : bytes_(o.bytes_), entries_(o.entries_), puts_(o.puts_) {
    rebind();
}

change_set& change_set::operator=(const change_set& o) {
    if (this != &o) {
        change_set copy(o);
        *this = std::move(copy);
    }
    return *this;
}

// Entries point back at their owner; after a move or copy they must point at this one,
// and the lookup set (whose functors hold the owner) is rebuilt lazily.
void change_set::rebind() noexcept {
    for (auto& e : entries_) e.owner_ = this;
    lookup_.reset();
}

void change_set::clear() noexcept {
    bytes_.clear();
    entries_.clear();
    puts_ = 0;
    lookup_.reset();
}

void change_set::put(std::string_view key, std::string_view value) { add(key, value, false); }
void change_set::put(std::span<const std::byte> key, std::span<const std::byte> value) {
    add(as_chars(key), as_chars(value), false);
}
void change_set::remove(std::string_view key) { add(key, {}, true); }
void change_set::remove(std::span<const std::byte> key) { add(as_chars(key), {}, true); }

bool change_set::contains(std::string_view key) const {
    if (lookup_) return lookup_->set.contains(key);
    for (const auto& e : entries_)
        if (e.key() == key) return true;
    return false;
}

void change_set::add(std::string_view key, std::string_view value, bool remove) {
    if (key.size() > max_key_size) fail(errc::key_too_large);
    if (value.size() > max_value_size) fail(errc::value_too_large);
    if (entries_.size() + 1 > max_change_set_entries ||
        byte_size() + key.size() + value.size() + 16 > max_change_set_size)
        fail(errc::change_set_too_large);
    if (contains(key)) fail(errc::duplicate_key);

    // Reserve first so that nothing below can throw after the change set was modified.
    // Growth is geometric: reserve(size + 1) would reallocate (and copy everything) on
    // every add, which makes building a change set quadratic.
    if (entries_.size() == entries_.capacity())
        entries_.reserve(std::max<std::size_t>(8, entries_.capacity() * 2));
    if (const std::size_t need = bytes_.size() + key.size() + value.size(); need > bytes_.capacity())
        bytes_.reserve(std::max(need, bytes_.capacity() * 2));
    if (!lookup_ && entries_.size() + 1 > linear_scan_limit) {
        auto set = std::make_unique<key_set>(this);
        set->set.reserve(entries_.size() * 2 + 2);
        for (std::uint32_t i = 0; i < entries_.size(); ++i) set->set.insert(i);
        lookup_ = std::move(set);
    } else if (lookup_ && lookup_->set.size() + 1 > lookup_->set.max_load()) {
        lookup_->set.reserve((lookup_->set.size() + 1) * 2);
    }

    entry e;
    e.owner_ = this;
    e.key_off_ = static_cast<std::uint32_t>(bytes_.size());
    e.key_len_ = static_cast<std::uint16_t>(key.size());
    bytes_.append(key);
    e.value_off_ = static_cast<std::uint32_t>(bytes_.size());
    e.value_len_ = static_cast<std::uint32_t>(value.size());
    bytes_.append(value);
    e.remove_ = remove;
    entries_.push_back(e);
    if (!remove) ++puts_;
    if (lookup_) lookup_->set.insert(static_cast<std::uint32_t>(entries_.size() - 1));
}

}  // namespace fugu
