// SPDX-License-Identifier: MIT
#include "store_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace fugu::detail {

namespace asio = boost::asio;

store_impl::store_impl(std::shared_ptr<store_shared> shared, recovery_result start)
    : shared_(std::move(shared)),
      snapshots_(shared_->executor, shared_, nullptr),
      index_(shared_->executor, shared_, std::move(start.index), snapshots_.inbox()),
      compaction_(shared_->opts.compaction_executor ? shared_->opts.compaction_executor
                                                    : shared_->executor,
                  shared_, index_.inbox()),
      writer_(shared_->executor, shared_, std::move(start.output), index_.inbox()),
      allocation_(shared_->executor, shared_, start.allocation, writer_.inbox()),
      gate_drained_(shared_->executor, 1) {
    snapshots_.set_latest(index_.initial_version());
    index_.set_compaction(compaction_.inbox());
    snapshots_.set_index(index_.inbox());
}

void store_impl::start() {
    // Each actor's loop holds the store alive until it has passed its stop message on.
    auto self = shared_from_this();
    // A retired slab's last reader may be anywhere; it tells compaction through a weak
    // reference, so a snapshot outliving the store holds nothing of it.
    shared_->on_slab_released = [w = weak_from_this()](std::uint64_t id) {
        auto s = w.lock();
        if (!s) return;
        s->compaction_.note_released(id);
        compaction_message m(slab_released{id});
        if (!s->compaction_.inbox().try_send(error_code{}, std::move(m)))
            s->compaction_.inbox().async_send(error_code{}, std::move(m), [s](error_code) {});
    };
    auto spawn = [&](auto& actor, const auto& where) {
        asio::co_spawn(where, [self, &actor]() -> asio::awaitable<void> { co_await actor.run(); },
                       asio::detached);
    };
    spawn(snapshots_, snapshots_.inbox().get_executor());
    spawn(index_, index_.inbox().get_executor());
    if (shared_->opts.compaction_executor) {
        // Compaction runs on an executor that may outlive the store's: the store's last
        // reference must not be dropped there, after the application may have destroyed
        // the io_context the store's channels and strands belong to. So the actor runs as
        // a child of a coroutine on the store's executor, which holds the store and
        // resumes there (keeping that executor's work count up meanwhile) once the
        // actor has returned.
        asio::co_spawn(
            shared_->executor,
            [self, &actor = compaction_]() -> asio::awaitable<void> {
                auto where = actor.inbox().get_executor();
                auto body = actor.run();
                co_await asio::co_spawn(where, std::move(body), asio::use_awaitable);
            },
            asio::detached);
    } else {
        spawn(compaction_, compaction_.inbox().get_executor());
    }
    // A store may open over the threshold (say, after many removes): look at once.
    compaction_.inbox().try_send(error_code{}, compaction_message(compaction_poke{}));
    spawn(writer_, writer_.inbox().get_executor());
    spawn(allocation_, allocation_.inbox().get_executor());
}

// Dekker-style with close(): either close sees this operation in the gate and waits for
// it, or this operation sees the store closing and backs out.
bool store_impl::enter() noexcept {
    gate_.fetch_add(1, std::memory_order_seq_cst);
    if (state_.load(std::memory_order_seq_cst) != open) {
        leave();
        return false;
    }
    return true;
}

void store_impl::leave() noexcept {
    if (gate_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        state_.load(std::memory_order_seq_cst) != open)
        gate_drained_.try_send(error_code{}, 0);
}

template <class Message>
void store_impl::send(inbox_channel<Message>& to, Message msg) {
    if (to.try_send(error_code{}, std::move(msg))) {
        leave();
        return;
    }
    // The inbox is full: wait for room (backpressure). The gate stays held meanwhile.
    to.async_send(error_code{}, std::move(msg),
                  [self = shared_from_this()](error_code) { self->leave(); });
}

void store_impl::save(change_set changes, diagnostics* diag, save_handler handler) {
    const auto& ex = shared_->executor;
    if (!enter()) {
        pending_completion<save_handler>(std::move(handler), ex)
            .complete(make_error_code(errc::store_closed), std::uint64_t{0});
        return;
    }
    if (shared_->failed()) {
        leave();
        if (diag) *diag = shared_->failure();
        pending_completion<save_handler>(std::move(handler), ex)
            .complete(make_error_code(errc::store_failed), std::uint64_t{0});
        return;
    }
    auto p = std::make_unique<pending_save>(std::move(changes), diag, std::move(handler), ex);
    send(allocation_.inbox(), allocation_message(std::move(p)));
}

void store_impl::take_snapshot(snapshot_handler handler) {
    const auto& ex = shared_->executor;
    if (!enter()) {
        pending_completion<snapshot_handler>(std::move(handler), ex)
            .complete(make_error_code(errc::store_closed), fugu::snapshot{});
        return;
    }
    auto req = std::make_unique<snapshot_request>(std::move(handler), ex);
    send(snapshots_.inbox(), snapshot_message(std::move(req)));
}

void store_impl::compact(done_handler handler) {
    const auto& ex = shared_->executor;
    if (!enter()) {
        pending_completion<done_handler>(std::move(handler), ex).complete(make_error_code(errc::store_closed));
        return;
    }
    auto req = std::make_unique<compact_request>(std::move(handler), ex);
    send(compaction_.inbox(), compaction_message(std::move(req)));
}

class store_impl::closer final : public close_op {
public:
    explicit closer(std::shared_ptr<store_impl> s) : self_(std::move(s)) {}
    void finish() override { self_->finish_close(); }

private:
    std::shared_ptr<store_impl> self_;
};

void store_impl::close(done_handler handler) {
    {
        std::lock_guard lock(close_mu_);
        if (state_.load() == closed) {
            pending_completion<done_handler>(std::move(handler), shared_->executor).complete(error_code{});
            return;
        }
        close_waiters_.emplace_back(std::move(handler), shared_->executor);
    }
    int expected = open;
    if (!state_.compare_exchange_strong(expected, closing)) return;  // a close is under way
    shared_->closing.store(true);
    asio::co_spawn(allocation_.strand(),
                   [self = shared_from_this()]() { return self->run_close(); }, asio::detached);
}

asio::awaitable<void> store_impl::run_close() {
    // Operations already admitted finish their sends first, so the stop message is the
    // last thing every inbox receives.
    while (gate_.load(std::memory_order_seq_cst) != 0)
        co_await gate_drained_.async_receive(asio::as_tuple(asio::use_awaitable));
    allocation_message stop(stop_request{std::make_shared<closer>(shared_from_this())});
    co_await allocation_.inbox().async_send(error_code{}, std::move(stop), asio::use_awaitable);
}

void store_impl::finish_close() {
    shared_->storage->unlock();
    shared_->closed.store(true, std::memory_order_release);
    std::vector<pending_completion<done_handler>> waiters;
    {
        std::lock_guard lock(close_mu_);
        state_.store(closed, std::memory_order_release);
        waiters.swap(close_waiters_);
    }
    for (auto& w : waiters) std::move(w).complete(error_code{});
}

store_stats store_impl::stats() const {
    store_stats s = shared_->index_stats();
    const auto& c = shared_->counters;
    s.saves = c.saves.load(std::memory_order_relaxed);
    s.bytes_saved = c.bytes_saved.load(std::memory_order_relaxed);
    s.bytes_written = c.bytes_written.load(std::memory_order_relaxed);
    s.group_commits = c.group_commits.load(std::memory_order_relaxed);
    s.syncs = c.syncs.load(std::memory_order_relaxed);
    s.compactions = c.compactions.load(std::memory_order_relaxed);
    s.bytes_rewritten = c.bytes_rewritten.load(std::memory_order_relaxed);
    s.space_amplification =
        s.live_bytes ? static_cast<double>(s.disk_bytes) / static_cast<double>(s.live_bytes) : 1.0;
    s.write_amplification =
        s.bytes_saved ? static_cast<double>(s.bytes_written) / static_cast<double>(s.bytes_saved)
                      : 0.0;
    s.io_engine = shared_->engine;
    s.io_engine_note = shared_->engine_note;
    return s;
}

}  // namespace fugu::detail
