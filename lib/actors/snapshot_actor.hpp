// SPDX-License-Identifier: MIT
// The snapshots actor: holds the newest published version and hands out snapshots; a
// snapshot asked for after a save completed waits until a version holding that save is
// published (so a save completes only once new snapshots see it). It knows the oldest sequence an open snapshot can still observe (which
// tells compaction when a merged slab's sources may go). It also ends the mesh: the stop
// message finishes the close. All members are used only on strand_; others talk to it
// through inbox().
#pragma once

#include "actors/messages.hpp"
#include "actors/version.hpp"
#include "store_shared.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <deque>
#include <memory>

namespace fugu::detail {

class snapshot_actor {
public:
    snapshot_actor(boost::asio::any_io_executor ex,
                   std::shared_ptr<store_shared> shared,
                   std::shared_ptr<const version> initial);

    inbox_channel<snapshot_message>& inbox() noexcept { return inbox_; }

    // REQUIRES: called before run().
    void set_latest(std::shared_ptr<const version> v) {
        latest_ = std::move(v);
        shared_->readable.store(latest_, std::memory_order_release);
    }
    // REQUIRES: called before run(). Where to ask for a publish.
    void set_index(inbox_channel<index_message>& index) noexcept { index_ = &index; }

    boost::asio::awaitable<void> run();

private:
    void hand_out(snapshot_request& req);
    std::uint64_t oldest_observable();

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    std::shared_ptr<store_shared> shared_;
    std::shared_ptr<const version> latest_;
    // Versions handed to snapshots, oldest first; an expired entry is a released snapshot.
    std::deque<std::weak_ptr<const version>> handed_out_;
    // A snapshot request that needs a newer version than latest_: the applied sequence
    // when it arrived. Sequences only grow, so waiting_ is in order of `needs`.
    struct waiter {
        std::uint64_t needs;
        std::unique_ptr<snapshot_request> req;
    };
    void ask_for_publish();
    bool asked_ = false;  // a publish was asked for since latest_ last changed
    std::deque<waiter> waiting_;
    inbox_channel<index_message>* index_ = nullptr;
    inbox_channel<snapshot_message> inbox_;
};

}  // namespace fugu::detail
