// SPDX-License-Identifier: MIT
// store_impl: the facade behind fugu::store. It owns the actors and wires their inboxes,
// admits operations from any thread (a gate counts those between the open check and their
// send, so a close never strands one), and runs the close. Its own members are atomics or
// set once before the actors start.
#pragma once

#include "actors/allocation_actor.hpp"
#include "actors/compaction_actor.hpp"
#include "actors/index_actor.hpp"
#include "actors/snapshot_actor.hpp"
#include "actors/writer_actor.hpp"
#include "recovery.hpp"
#include "store_shared.hpp"

#include <fugu/store.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace fugu::detail {

class store_impl : public std::enable_shared_from_this<store_impl> {
public:
    store_impl(std::shared_ptr<store_shared> shared, recovery_result start);

    // Spawns the actors. Called once, right after construction.
    void start();

    static fugu::store make_handle(std::shared_ptr<store_impl> impl) {
        return fugu::store(std::move(impl));
    }

    bool is_open() const noexcept { return state_.load(std::memory_order_acquire) == open; }
    const std::shared_ptr<store_shared>& shared() const noexcept { return shared_; }

    void save(change_set changes, diagnostics* diag, save_handler handler);
    void take_snapshot(snapshot_handler handler);
    void compact(done_handler handler);
    void close(done_handler handler);
    store_stats stats() const;

private:
    enum state : int { open, closing, closed };
    class closer;

    bool enter() noexcept;
    void leave() noexcept;
    template <class Message>
    void send(inbox_channel<Message>& to, Message msg);
    boost::asio::awaitable<void> run_close();
    void finish_close();

    std::shared_ptr<store_shared> shared_;
    snapshot_actor snapshots_;
    index_actor index_;
    compaction_actor compaction_;
    writer_actor writer_;
    allocation_actor allocation_;

    std::atomic<int> state_{open};
    std::atomic<std::size_t> gate_{0};             // operations between check and send
    inbox_channel<int> gate_drained_;              // pinged when gate_ drops to 0 while closing
    std::mutex close_mu_;
    std::vector<pending_completion<done_handler>> close_waiters_;  // guarded by close_mu_
};

}  // namespace fugu::detail
