// SPDX-License-Identifier: MIT
#include "actors/snapshot_actor.hpp"

#include "snapshot_state.hpp"

#include <fugu/snapshot.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace fugu::detail {

namespace asio = boost::asio;

snapshot_actor::snapshot_actor(asio::any_io_executor ex,
                               std::shared_ptr<store_shared> shared,
                               std::shared_ptr<const version> initial)
    : strand_(asio::make_strand(ex)),
      shared_(std::move(shared)),
      latest_(std::move(initial)),
      inbox_(strand_, 256) {
    shared_->readable.store(latest_, std::memory_order_release);
}

void snapshot_actor::hand_out(snapshot_request& req) {
    // Each snapshot shares the version object, so the version's use count is the number
    // of snapshots (plus latest_) that can still observe its sequence.
    if (handed_out_.empty() || handed_out_.back().lock() != latest_) handed_out_.push_back(latest_);
    auto state = std::make_shared<snapshot_state>(latest_, shared_);
    std::move(req.completion).complete(error_code{}, snapshot_access::make(std::move(state)));
}

std::uint64_t snapshot_actor::oldest_observable() {
    while (!handed_out_.empty() && handed_out_.front().expired()) handed_out_.pop_front();
    if (handed_out_.empty()) return latest_->sequence;
    return handed_out_.front().lock()->sequence;
}

void snapshot_actor::ask_for_publish() {
    if (asked_) return;
    asked_ = true;
    // Never block on the index actor, which may itself be sending here: the flag is
    // enough when its inbox is full, since it reads the flag after every batch of messages
    // it takes.
    shared_->publish_wanted.store(true, std::memory_order_release);
    if (index_) index_->try_send(error_code{}, index_message(publish_demand{}));
}

asio::awaitable<void> snapshot_actor::run() {
    for (;;) {
        auto [ec, msg] = co_await inbox_.async_receive(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        if (auto* p = std::get_if<publish_request>(&msg)) {
            latest_ = std::move(p->next);
            shared_->readable.store(latest_, std::memory_order_release);
            asked_ = false;
            while (!waiting_.empty() && waiting_.front().needs <= latest_->sequence) {
                hand_out(*waiting_.front().req);
                waiting_.pop_front();
            }
            // Saves applied after this version was made may be what the rest wait for.
            if (!waiting_.empty()) ask_for_publish();
        } else if (auto* r = std::get_if<std::unique_ptr<snapshot_request>>(&msg)) {
            // Every save completed before this request is at or below this sequence.
            const auto needs = shared_->applied_sequence.load(std::memory_order_acquire);
            if (waiting_.empty() && needs <= latest_->sequence) {
                hand_out(**r);
                continue;
            }
            waiting_.push_back(waiter{needs, std::move(*r)});
            ask_for_publish();
        } else {
            auto stop = std::get<stop_request>(std::move(msg));
            // The index actor publishes before it forwards a close, so nothing waits here
            // now; anything that did would be served from the newest version.
            while (!waiting_.empty()) {
                hand_out(*waiting_.front().req);
                waiting_.pop_front();
            }
            latest_.reset();
            shared_->readable.store(nullptr, std::memory_order_release);
            handed_out_.clear();
            if (stop.op) stop.op->finish();
            co_return;
        }
    }
}

}  // namespace fugu::detail
