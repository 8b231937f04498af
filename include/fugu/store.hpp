// SPDX-License-Identifier: MIT
// fugu::store: a handle to an open store. Move-only. Its operations may be started from
// any thread, including from several threads running one io_context at once; each
// completes on its handler's associated executor (else the store's executor), never
// inside the initiating call. An empty handle (default-constructed, moved-from, failed to
// open, or closed) completes every operation with errc::store_closed. try_get is the one
// synchronous read: it answers at once or returns errc::would_block.
#pragma once

#include <fugu/change_set.hpp>
#include <fugu/detail/config.hpp>
#include <fugu/detail/handlers.hpp>
#include <fugu/error.hpp>
#include <fugu/options.hpp>
#include <fugu/snapshot.hpp>
#include <fugu/stats.hpp>
#include <fugu/storage.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fugu {

class FUGU_EXPORT store {
public:
    using executor_type = boost::asio::any_io_executor;

    store() noexcept;
    store(store&&) noexcept;
    store& operator=(store&&) noexcept;
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    /// Destroying an open store without async_close loses nothing acknowledged: it
    /// starts a close in the background, which releases the lock once pending saves are
    /// done (while the store's executor keeps running).
    ~store();

    /// True when the handle refers to an open store.
    bool is_open() const noexcept;
    explicit operator bool() const noexcept { return is_open(); }

    /// The executor the store was opened on (a default one for an empty handle).
    executor_type get_executor() const noexcept;

    /// Opens the store in `directory`, creating it when allowed (options::create_if_missing).
    /// Rebuilds the index from the slabs; a torn tail of the newest slab is cut off.
    ///
    /// Handler signature: void(error_code, store); the store is empty when the error is set.
    /// Errors: errc::store_locked, errc::corruption (with `diag` naming file and offset),
    /// errc::unknown_format_version, errc::not_a_store, errc::store_not_found,
    /// errc::io_engine_unavailable, errc::invalid_option, or the system error of a failed
    /// file operation (for example permission_denied).
    /// Executor: `ex` runs the store's actors; the handler runs on its associated executor.
    /// Per-operation cancellation: not supported (an open runs to the end).
    /// Object lifetimes: arguments are copied; `diag` must outlive the operation.
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, store))
                  CompletionToken = boost::asio::deferred_t>
    static auto async_open(executor_type ex,
                           std::string directory,
                           options opts,
                           diagnostics& diag,
                           CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, store)>(
            [](auto handler, executor_type e, std::string d, options o, diagnostics* dg) {
                detail::async_open_impl(std::move(e), std::move(d), o, dg, std::move(handler));
            },
            token, std::move(ex), std::move(directory), opts, &diag);
    }

    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, store))
                  CompletionToken = boost::asio::deferred_t>
    static auto async_open(executor_type ex,
                           std::string directory,
                           options opts,
                           CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, store)>(
            [](auto handler, executor_type e, std::string d, options o) {
                detail::async_open_impl(std::move(e), std::move(d), o, nullptr,
                                        std::move(handler));
            },
            token, std::move(ex), std::move(directory), opts);
    }

    /// Opens a store on any backing storage, e.g. a shared memory_storage. Same contract
    /// as the directory overload.
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, store))
                  CompletionToken = boost::asio::deferred_t>
    static auto async_open(executor_type ex,
                           std::shared_ptr<fugu::storage> storage,
                           options opts,
                           CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, store)>(
            [](auto handler, executor_type e, std::shared_ptr<fugu::storage> s, options o) {
                detail::async_open_impl(std::move(e), std::move(s), o, nullptr,
                                        std::move(handler));
            },
            token, std::move(ex), std::move(storage), opts);
    }

    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, store))
                  CompletionToken = boost::asio::deferred_t>
    static auto async_open(executor_type ex,
                           std::shared_ptr<fugu::storage> storage,
                           options opts,
                           diagnostics& diag,
                           CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, store)>(
            [](auto handler, executor_type e, std::shared_ptr<fugu::storage> s, options o,
               diagnostics* dg) {
                detail::async_open_impl(std::move(e), std::move(s), o, dg, std::move(handler));
            },
            token, std::move(ex), std::move(storage), opts, &diag);
    }

    /// Saves a change set atomically: every put and remove becomes visible together, or
    /// none does.
    ///
    /// Handler signature: void(error_code, std::uint64_t sequence). On success the change
    /// set is durable as options::durability says, and every snapshot taken afterwards
    /// sees it. Errors: errc::store_closed; errc::store_failed after an earlier durable
    /// write failed; the system error of a failed write or fdatasync (the change set is
    /// then not visible, and may or may not be on disk after a restart: see docs/api.md).
    /// Executor: the handler runs on its associated executor.
    /// Per-operation cancellation: not supported; a save, once started, completes.
    /// Object lifetimes: the change set is moved in; `diag` must outlive the operation.
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::uint64_t))
                  CompletionToken = boost::asio::deferred_t>
    auto async_save(change_set changes, diagnostics& diag, CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, std::uint64_t)>(
            [](auto handler, std::shared_ptr<detail::store_impl> impl, change_set c,
               diagnostics* dg) {
                detail::async_save_impl(impl, std::move(c), dg, std::move(handler));
            },
            token, impl_, std::move(changes), &diag);
    }

    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::uint64_t))
                  CompletionToken = boost::asio::deferred_t>
    auto async_save(change_set changes, CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, std::uint64_t)>(
            [](auto handler, std::shared_ptr<detail::store_impl> impl, change_set c) {
                detail::async_save_impl(impl, std::move(c), nullptr, std::move(handler));
            },
            token, impl_, std::move(changes));
    }

    /// Takes a consistent read-only view as of the newest acknowledged save. O(1).
    ///
    /// Handler signature: void(error_code, snapshot). Errors: errc::store_closed.
    /// Executor: the handler runs on its associated executor.
    /// Per-operation cancellation: not supported.
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, snapshot))
                  CompletionToken = boost::asio::deferred_t>
    auto async_snapshot(CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, snapshot)>(
            [](auto handler, std::shared_ptr<detail::store_impl> impl) {
                detail::async_snapshot_impl(impl, std::move(handler));
            },
            token, impl_);
    }

    /// Snapshot plus read in one call. Handler signature:
    /// void(error_code, std::optional<std::string>), nullopt when the key is absent.
    /// Errors as snapshot::async_read. The key is copied at initiation.
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::optional<std::string>))
                  CompletionToken = boost::asio::deferred_t>
    auto async_get(std::string_view key, CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken,
                                           void(error_code, std::optional<std::string>)>(
            [](auto handler, std::shared_ptr<detail::store_impl> impl, std::string k) {
                detail::async_get_impl(impl, std::move(k), nullptr, std::move(handler));
            },
            token, impl_, std::string(key));
    }

    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::optional<std::string>))
                  CompletionToken = boost::asio::deferred_t>
    auto async_get(std::string_view key, diagnostics& diag, CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken,
                                           void(error_code, std::optional<std::string>)>(
            [](auto handler, std::shared_ptr<detail::store_impl> impl, std::string k,
               diagnostics* dg) {
                detail::async_get_impl(impl, std::move(k), dg, std::move(handler));
            },
            token, impl_, std::string(key), &diag);
    }

    /// Reads the value of `key` now, when that needs neither I/O nor the store's actors,
    /// else says so: the synchronous counterpart of async_get, for the common case of a
    /// value in memory (see snapshot::try_read). Safe from any thread; never waits.
    ///
    /// Visibility: the same rule as async_get's own fast path. It answers only from the
    /// newest published version, and only when that version holds every save completed
    /// so far, so the result reflects every save whose completion the caller has seen, and
    /// never part of a change set. When the newest version lags a completed save (its
    /// publication is pending in the store's actors), it does not wait:
    /// errc::would_block, and async_get (which takes a snapshot) gives the answer.
    ///
    /// Returns the value, or nullopt with `ec` clear when the key is absent. Errors (in
    /// `ec`, with nullopt): errc::would_block (call async_get), errc::corruption (`diag`
    /// names file and offset), errc::key_too_large, errc::store_closed for an empty handle
    /// or a closed store.
    std::optional<std::string> try_get(std::string_view key, error_code& ec) const;
    std::optional<std::string> try_get(std::string_view key,
                                       diagnostics& diag,
                                       error_code& ec) const;

    /// Runs one compaction pass now and completes when it is done (or when there was
    /// nothing worth merging). Handler signature: void(error_code).
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code))
                  CompletionToken = boost::asio::deferred_t>
    auto async_compact(CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [](auto handler, std::shared_ptr<detail::store_impl> impl) {
                detail::async_compact_impl(impl, std::move(handler));
            },
            token, impl_);
    }

    /// Waits for saves already started, stops the actors and releases the lock. Later
    /// operations on this handle, and reads on its snapshots, complete with
    /// errc::store_closed. Closing twice is harmless. Handler signature: void(error_code).
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code))
                  CompletionToken = boost::asio::deferred_t>
    auto async_close(CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [](auto handler, std::shared_ptr<detail::store_impl> i) {
                detail::async_close_impl(i, std::move(handler));
            },
            token, impl_);
    }

    /// The store's figures as of now. Safe from any thread. All zero for an empty handle.
    store_stats stats() const;

    /// Why the store stopped accepting saves (errc::store_failed), or an empty message.
    diagnostics failure() const;

private:
    friend class detail::store_impl;
    explicit store(std::shared_ptr<detail::store_impl> impl) noexcept;

    std::shared_ptr<detail::store_impl> impl_;
};

}  // namespace fugu
