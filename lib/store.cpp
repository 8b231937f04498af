// SPDX-License-Identifier: MIT
// The compiled bodies behind fugu::store's templates: open (recovery, then the actors),
// save, snapshot, get (async and try_), compact, close.
#include "snapshot_state.hpp"
#include "store_impl.hpp"

#include <fugu/file_storage.hpp>
#include <fugu/memory_storage.hpp>
#include <fugu/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace fugu {

namespace asio = boost::asio;

namespace detail {
// The newest published version when it holds every save completed so far, else null
// (also for a closed store): the one visibility rule of async_get and try_get.
std::shared_ptr<const version> current_version(const store_impl& impl);
std::optional<std::string> try_get_impl(const std::shared_ptr<store_impl>& impl,
                                        std::string_view key,
                                        diagnostics* diag,
                                        error_code& ec);
}  // namespace detail

store::store() noexcept = default;
store::store(std::shared_ptr<detail::store_impl> impl) noexcept : impl_(std::move(impl)) {}
store::store(store&&) noexcept = default;

store& store::operator=(store&& o) noexcept {
    if (this != &o) {
        if (impl_ && impl_->is_open()) detail::async_close_impl(impl_, [](error_code) {});
        impl_ = std::move(o.impl_);
    }
    return *this;
}

store::~store() {
    // Acknowledged saves are already durable; what remains is to let pending ones finish
    // and release the lock, which the background close does.
    if (impl_ && impl_->is_open()) detail::async_close_impl(impl_, [](error_code) {});
}

bool store::is_open() const noexcept { return impl_ && impl_->is_open(); }

store::executor_type store::get_executor() const noexcept {
    return impl_ ? impl_->shared()->executor : executor_type{};
}

store_stats store::stats() const { return impl_ ? impl_->stats() : store_stats{}; }

std::optional<std::string> store::try_get(std::string_view key, error_code& ec) const {
    return detail::try_get_impl(impl_, key, nullptr, ec);
}

std::optional<std::string> store::try_get(std::string_view key,
                                          diagnostics& diag,
                                          error_code& ec) const {
    return detail::try_get_impl(impl_, key, &diag, ec);
}

diagnostics store::failure() const { return impl_ ? impl_->shared()->failure() : diagnostics{}; }

namespace detail {

namespace {

error_code validate(const options& o) {
    if (o.base_slab_size < (std::uint64_t{64} << 10) || o.base_slab_size > (std::uint64_t{1} << 30))
        return make_error_code(errc::invalid_option);
    if (o.max_pending_saves < 1 || o.max_pending_saves > 1'000'000)
        return make_error_code(errc::invalid_option);
    if (o.max_group_commit_bytes < 1) return make_error_code(errc::invalid_option);
    if (!(o.slab_growth >= 1.1 && o.slab_growth <= 4.0)) return make_error_code(errc::invalid_option);
    if (!(o.compaction_threshold >= 0.1 && o.compaction_threshold <= 0.95))
        return make_error_code(errc::invalid_option);
    return {};
}

asio::awaitable<std::pair<error_code, std::shared_ptr<store_impl>>> open_store(
    asio::any_io_executor ex, std::shared_ptr<fugu::storage> st, options opts, diagnostics* diag) {
    using out = std::pair<error_code, std::shared_ptr<store_impl>>;
    if (auto ec = validate(opts)) {
        if (diag) diag->assign("invalid option: see the ranges in <fugu/options.hpp>");
        co_return out{ec, nullptr};
    }
    auto shared = std::make_shared<store_shared>(ex, opts, st);
    if (auto* fs = dynamic_cast<fugu::file_storage*>(st.get())) {
        shared->engine = std::string(fs->engine_name());
        shared->engine_note = fs->engine_note();
    } else {
        shared->engine = "memory";
    }
    if (auto ec = st->lock()) {
        if (diag) {
            auto why = st->last_diagnostics();
            if (why.message().empty())
                diag->assign("cannot open the store in " + st->location() + ": " + ec.message());
            else
                *diag = std::move(why);
        }
        co_return out{ec, nullptr};
    }
    if (opts.error_if_exists) {
        auto listed = st->list();
        if (!listed || !listed->empty()) {
            st->unlock();
            if (diag) diag->assign("a store already exists in " + st->location());
            co_return out{listed ? make_error_code(errc::store_exists) : listed.error(), nullptr};
        }
    }
    auto recovered = co_await recover(*shared, diag);
    if (!recovered) {
        st->unlock();
        co_return out{recovered.error(), nullptr};
    }
    auto impl = std::make_shared<store_impl>(shared, std::move(*recovered));
    impl->start();
    co_return out{error_code{}, std::move(impl)};
}

}  // namespace

void async_open_impl(asio::any_io_executor ex,
                     std::string directory,
                     options opts,
                     diagnostics* diag,
                     open_handler handler) {
    auto st = std::make_shared<fugu::file_storage>(ex, std::move(directory), opts);
    async_open_impl(std::move(ex), std::move(st), opts, diag, std::move(handler));
}

void async_open_impl(asio::any_io_executor ex,
                     std::shared_ptr<fugu::storage> st,
                     options opts,
                     diagnostics* diag,
                     open_handler handler) {
    auto done = std::make_shared<pending_completion<open_handler>>(std::move(handler), ex);
    auto strand = asio::make_strand(ex);
    asio::co_spawn(strand, open_store(ex, std::move(st), opts, diag),
                   [done](std::exception_ptr e,
                          std::pair<error_code, std::shared_ptr<store_impl>> r) mutable {
                       if (e) r.first = make_error_code(boost::system::errc::not_enough_memory);
                       fugu::store s;
                       if (!r.first) s = store_impl::make_handle(std::move(r.second));
                       std::move(*done).complete(r.first, std::move(s));
                   });
}

void async_save_impl(const std::shared_ptr<store_impl>& impl,
                     change_set changes,
                     diagnostics* diag,
                     save_handler handler) {
    if (!impl) {
        pending_completion<save_handler>(std::move(handler), asio::system_executor())
            .complete(make_error_code(errc::store_closed), std::uint64_t{0});
        return;
    }
    impl->save(std::move(changes), diag, std::move(handler));
}

void async_snapshot_impl(const std::shared_ptr<store_impl>& impl, snapshot_handler handler) {
    if (!impl) {
        pending_completion<snapshot_handler>(std::move(handler), asio::system_executor())
            .complete(make_error_code(errc::store_closed), fugu::snapshot{});
        return;
    }
    impl->take_snapshot(std::move(handler));
}

std::shared_ptr<const version> current_version(const store_impl& impl) {
    if (!impl.is_open()) return nullptr;
    // applied_sequence is raised before any save up to it completes, so a version at or
    // past it holds every save completed before this call. Versions are published whole,
    // so none holds part of a change set.
    const auto& shared = *impl.shared();
    auto v = shared.readable.load(std::memory_order_acquire);
    if (v && v->sequence >= shared.applied_sequence.load(std::memory_order_acquire)) return v;
    return nullptr;
}

std::optional<std::string> try_get_impl(const std::shared_ptr<store_impl>& impl,
                                        std::string_view key,
                                        diagnostics* diag,
                                        error_code& ec) {
    if (!impl || !impl->is_open()) {
        ec = make_error_code(errc::store_closed);
        return std::nullopt;
    }
    if (auto v = current_version(*impl)) return try_read_version(*v, *impl->shared(), key, diag, ec);
    // The newest version lags a completed save: only the snapshots actor can give one that
    // covers it, which is a wait.
    ec = make_error_code(errc::would_block);
    return std::nullopt;
}

void async_get_impl(const std::shared_ptr<store_impl>& impl,
                    std::string key,
                    diagnostics* diag,
                    value_handler handler) {
    if (!impl) {
        pending_completion<value_handler>(std::move(handler), asio::system_executor())
            .complete(make_error_code(errc::store_closed), std::optional<std::string>{});
        return;
    }
    // The newest published version, when it holds every completed save, is read at once:
    // no snapshot, no actor. Otherwise a snapshot then a read; the snapshot lives until the
    // read completes.
    if (auto v = current_version(*impl)) {
        read_version(v, *impl->shared(), std::move(key), diag, std::move(handler));
        return;
    }
    auto ex = impl->shared()->executor;
    auto then = [key = std::move(key), diag, handler = std::move(handler), ex](
                    error_code ec, fugu::snapshot snap) mutable {
        if (ec) {
            pending_completion<value_handler>(std::move(handler), ex)
                .complete(ec, std::optional<std::string>{});
            return;
        }
        async_read_impl(snapshot_access::state(snap), std::move(key), diag, std::move(handler));
    };
    impl->take_snapshot(asio::bind_executor(ex, std::move(then)));
}

void async_compact_impl(const std::shared_ptr<store_impl>& impl, done_handler handler) {
    if (!impl || !impl->is_open()) {
        pending_completion<done_handler>(std::move(handler), asio::system_executor())
            .complete(make_error_code(errc::store_closed));
        return;
    }
    impl->compact(std::move(handler));
}

void async_close_impl(const std::shared_ptr<store_impl>& impl, done_handler handler) {
    if (!impl) {
        pending_completion<done_handler>(std::move(handler), asio::system_executor())
            .complete(error_code{});
        return;
    }
    impl->close(std::move(handler));
}

}  // namespace detail
}  // namespace fugu
