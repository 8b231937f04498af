// SPDX-License-Identifier: MIT
// change_set: a batch of puts and removes that a store applies atomically (all or
// nothing). A value type; not safe for concurrent modification from several threads.
#pragma once

#include <fugu/detail/config.hpp>
#include <fugu/error.hpp>
#include <fugu/limits.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fugu {

class FUGU_EXPORT change_set {
public:
    /// One put or remove, as stored. Views point into the change_set.
    class entry {
    public:
        std::string_view key() const noexcept { return {owner_->bytes_.data() + key_off_, key_len_}; }
        /// The value of a put; empty for a remove (use is_remove() to tell them apart).
        std::string_view value() const noexcept {
            return {owner_->bytes_.data() + value_off_, value_len_};
        }
        bool is_remove() const noexcept { return remove_; }

    private:
        friend class change_set;
        const change_set* owner_ = nullptr;
        std::uint32_t key_off_ = 0;
        std::uint32_t value_off_ = 0;
        std::uint32_t value_len_ = 0;
        std::uint16_t key_len_ = 0;
        bool remove_ = false;
    };

    change_set() noexcept;
    change_set(change_set&&) noexcept;
    change_set& operator=(change_set&&) noexcept;
    change_set(const change_set&);
    change_set& operator=(const change_set&);
    ~change_set();

    /// Adds or replaces `key` with `value` when the change set is saved. An empty value is
    /// a value, not a removal.
    /// Throws std::system_error: errc::duplicate_key if `key` is already in this change
    /// set; errc::key_too_large, errc::value_too_large, errc::change_set_too_large past the
    /// limits of <fugu/limits.hpp>. On a throw the change set is unchanged.
    void put(std::string_view key, std::string_view value);
    void put(std::span<const std::byte> key, std::span<const std::byte> value);

    /// Removes `key` when the change set is saved; removing an absent key is fine.
    /// Throws like put().
    void remove(std::string_view key);
    void remove(std::span<const std::byte> key);

    /// Number of puts plus removes.
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    std::size_t put_count() const noexcept { return puts_; }
    std::size_t remove_count() const noexcept { return entries_.size() - puts_; }

    /// Bytes counted against max_change_set_size: key and value bytes plus 16 per entry.
    std::size_t byte_size() const noexcept { return bytes_.size() + 16 * entries_.size(); }

    /// The entries in the order they were added.
    std::span<const entry> entries() const noexcept { return entries_; }

    void clear() noexcept;

private:
    void add(std::string_view key, std::string_view value, bool remove);
    bool contains(std::string_view key) const;
    void rebind() noexcept;

    struct key_set;
    std::string bytes_;                  // every key and value, back to back
    std::vector<entry> entries_;         // in insertion order
    std::size_t puts_ = 0;
    std::unique_ptr<key_set> lookup_;    // built once the set is large enough to need it
};

}  // namespace fugu
