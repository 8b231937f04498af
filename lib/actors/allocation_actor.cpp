// SPDX-License-Identifier: MIT
#include "actors/allocation_actor.hpp"

#include "format/format.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace fugu::detail {

namespace asio = boost::asio;

namespace {
// Largest target for one output slab. Value offsets in the index are 32-bit, and a slab
// may overshoot its target by one change set, so stay well below 4 GiB.
constexpr std::uint64_t max_slab_target = std::uint64_t{1} << 30;
// How many change sets one message to the writer carries at most.
constexpr std::size_t max_batch = 1024;
}  // namespace

std::uint64_t output_slab_target(std::uint64_t a, double r, std::uint64_t sealed_bytes) noexcept {
    const double target = static_cast<double>(a) + static_cast<double>(sealed_bytes) * (r - 1.0);
    if (target >= static_cast<double>(max_slab_target)) return max_slab_target;
    return std::max(a, static_cast<std::uint64_t>(target));
}

std::uint64_t commit_record_size(const change_set& changes) noexcept {
    std::uint64_t n = format::record_header_size;
    for (const auto& e : changes.entries()) {
        if (e.is_remove())
            n += format::remove_entry_fixed_size + e.key().size();
        else
            n += format::min_put_body_size + e.key().size() + e.value().size();
    }
    return n;
}

allocation_actor::allocation_actor(asio::any_io_executor ex,
                                   std::shared_ptr<store_shared> shared,
                                   allocation_state start,
                                   inbox_channel<writer_message>& writer)
    : strand_(asio::make_strand(ex)),
      shared_(std::move(shared)),
      state_(start),
      inbox_(strand_, shared_->opts.max_pending_saves),
      writer_(writer) {}

void allocation_actor::assign(pending_save& save) {
    if (save.changes.empty()) {
        // Writes nothing (docs/api.md): no sequence of its own and no room in a slab, so
        // it can neither rotate the output slab nor leave a gap. It travels behind the
        // saves assigned before it and completes with the newest of their sequences once
        // they are applied.
        save.sequence = state_.next_sequence - 1;
        save.slab_id = state_.output_slab_id;
        return;
    }
    const std::uint64_t size = commit_record_size(save.changes);
    const std::uint64_t target = output_slab_target(
        shared_->opts.base_slab_size, shared_->opts.slab_growth,
        shared_->counters.sealed_bytes.load(std::memory_order_relaxed));
    // Invariant: a slab holds at least one record, so an oversized change set still fits.
    if (state_.output_bytes > format::slab_header_size &&
        state_.output_bytes + size + format::seal_record_size > target) {
        state_.output_slab_id = shared_->next_slab_id.fetch_add(1);
        state_.output_bytes = format::slab_header_size;
    }
    save.sequence = state_.next_sequence++;
    save.slab_id = state_.output_slab_id;
    state_.output_bytes += size;
}

asio::awaitable<void> allocation_actor::run() {
    for (;;) {
        auto [ec, first] = co_await inbox_.async_receive(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;  // the channel was torn down with the store

        write_request batch;
        std::optional<stop_request> stop;
        auto take = [&](allocation_message& m) {
            if (auto* s = std::get_if<save_ptr>(&m)) {
                assign(**s);
                batch.saves.push_back(std::move(*s));
            } else {
                stop = std::get<stop_request>(std::move(m));
            }
        };
        take(first);
        // Everything already waiting goes to the writer in one message: this is where
        // group commit starts.
        while (!stop && batch.saves.size() < max_batch &&
               inbox_.try_receive([&](error_code, allocation_message m) { take(m); })) {
        }

        if (!batch.saves.empty()) {
            writer_message out(std::move(batch));
            // try_send first: an async_send that could complete at once still resumes this
            // coroutine through a post, one more trip through the scheduler per batch.
            if (!writer_.try_send(error_code{}, std::move(out)))
                co_await writer_.async_send(error_code{}, std::move(out), asio::use_awaitable);
        }
        if (stop) {
            writer_message out(std::move(*stop));
            co_await writer_.async_send(error_code{}, std::move(out), asio::use_awaitable);
            co_return;
        }
    }
}

}  // namespace fugu::detail
