// SPDX-License-Identifier: MIT
// fugu::snapshot: a consistent, read-only view of a store as of one sequence number.
// Move-only. Its const members (contains, keys, async_read, try_read) may be used from
// any thread at once without locking; the view never changes while held, whatever saves and
// compactions happen meanwhile. Destroying it releases what only it could see.
#pragma once

#include <fugu/detail/config.hpp>
#include <fugu/detail/handlers.hpp>
#include <fugu/error.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fugu {

/// Walks keys in ascending byte order. The string_views it yields stay valid while the
/// snapshot lives.
class FUGU_EXPORT key_iterator {
public:
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    key_iterator() noexcept;
    key_iterator(const key_iterator&);
    key_iterator(key_iterator&&) noexcept;
    key_iterator& operator=(const key_iterator&);
    key_iterator& operator=(key_iterator&&) noexcept;
    ~key_iterator();

    std::string_view operator*() const noexcept;
    key_iterator& operator++();
    void operator++(int) { ++*this; }
    bool at_end() const noexcept;
    friend bool operator==(const key_iterator& i, std::default_sentinel_t) noexcept {
        return i.at_end();
    }

private:
    friend class snapshot;
    struct state;
    explicit key_iterator(std::unique_ptr<state> s) noexcept;
    std::unique_ptr<state> s_;
};

/// A range of keys: `for (std::string_view k : snap.keys()) ...`.
class key_range {
public:
    key_iterator begin() const { return first_; }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    friend class snapshot;
    explicit key_range(key_iterator first) : first_(std::move(first)) {}
    key_iterator first_;
};

class FUGU_EXPORT snapshot {
public:
    snapshot() noexcept;
    snapshot(snapshot&&) noexcept;
    snapshot& operator=(snapshot&&) noexcept;
    snapshot(const snapshot&) = delete;
    snapshot& operator=(const snapshot&) = delete;
    ~snapshot();

    /// False for an empty handle.
    bool valid() const noexcept { return state_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }

    /// The sequence number this view observes: every save with a sequence up to it, and
    /// none after.
    std::uint64_t sequence() const noexcept;

    /// Number of live keys. Answered from RAM.
    std::size_t size() const noexcept;

    /// Whether `key` is present. Answered from the in-RAM index, no I/O.
    bool contains(std::string_view key) const noexcept;

    /// Every live key, ascending byte order.
    key_range keys() const;
    /// Live keys >= `start`, ascending byte order.
    key_range keys_from(std::string_view start) const;

    /// Reads the value of `key`.
    ///
    /// Handler signature: void(error_code, std::optional<std::string>), nullopt when the
    /// key is absent. Errors: errc::corruption when the stored bytes fail their checksum
    /// (`diag` names file and offset; damaged bytes are never returned), the system error
    /// of a failed read, errc::key_too_large for a key longer than fugu::max_key_size
    /// (which no save can have stored), errc::store_closed for an empty handle or a
    /// closed store.
    /// Executor: the handler runs on its associated executor.
    /// Per-operation cancellation: not supported.
    /// Object lifetimes: the key is copied at initiation; `diag` must outlive the operation.
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::optional<std::string>))
                  CompletionToken = boost::asio::deferred_t>
    auto async_read(std::string_view key, CompletionToken&& token = {}) const {
        return boost::asio::async_initiate<CompletionToken,
                                           void(error_code, std::optional<std::string>)>(
            [](auto handler, std::shared_ptr<detail::snapshot_state> s, std::string k) {
                detail::async_read_impl(s, std::move(k), nullptr, std::move(handler));
            },
            token, state_, std::string(key));
    }

    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::optional<std::string>))
                  CompletionToken = boost::asio::deferred_t>
    auto async_read(std::string_view key, diagnostics& diag, CompletionToken&& token = {}) const {
        return boost::asio::async_initiate<CompletionToken,
                                           void(error_code, std::optional<std::string>)>(
            [](auto handler, std::shared_ptr<detail::snapshot_state> s, std::string k,
               diagnostics* dg) {
                detail::async_read_impl(s, std::move(k), dg, std::move(handler));
            },
            token, state_, std::string(key), &diag);
    }

    /// Reads the value of `key` now, when that needs no I/O, else says so. The same read
    /// as async_read up to the point where it would start a read through the I/O engine:
    /// the index lookup, then the value copied from memory (the slab file's read-only map
    /// with options::mapped_reads, or a memory_storage slab) and checked against its CRC.
    /// Never waits for I/O or for the store's actors; safe from any thread, like
    /// async_read.
    ///
    /// Returns the value, or nullopt with `ec` clear when the key is absent. Errors (in
    /// `ec`, with nullopt): errc::would_block when the value has to be read through the
    /// I/O engine (mapped_reads off, bytes not mapped yet, a storage of your own): call
    /// async_read instead, it will succeed or fail on its own terms; errc::corruption
    /// (`diag` names file and offset; damaged bytes are never returned);
    /// errc::key_too_large; errc::store_closed for an empty handle or a closed store.
    std::optional<std::string> try_read(std::string_view key, error_code& ec) const;
    std::optional<std::string> try_read(std::string_view key,
                                        diagnostics& diag,
                                        error_code& ec) const;

private:
    friend struct detail::snapshot_access;
    explicit snapshot(std::shared_ptr<detail::snapshot_state> state) noexcept;

    std::shared_ptr<detail::snapshot_state> state_;
};

}  // namespace fugu
