// SPDX-License-Identifier: MIT
#include "actors/writer_actor.hpp"

#include "actors/record_codec.hpp"
#include "format/format.hpp"
#include "format/record.hpp"
#include "io/await.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <string>

namespace fugu::detail {

namespace asio = boost::asio;

writer_actor::writer_actor(asio::any_io_executor ex,
                           std::shared_ptr<store_shared> shared,
                           output_slab_state output,
                           inbox_channel<index_message>& index)
    : strand_(asio::make_strand(ex)),
      shared_(std::move(shared)),
      out_(std::move(output)),
      wake_forwarder_(strand_, 1),
      wake_writer_(strand_, 1),
      inbox_(strand_, 64),
      index_(index) {}

void writer_actor::fail_save(save_ptr save, error_code ec) {
    if (save->diag && ec == make_error_code(errc::store_failed)) *save->diag = shared_->failure();
    std::move(save->completion).complete(ec, std::uint64_t{0});
}

void writer_actor::record_failure(error_code ec,
                                  const char* what,
                                  std::uint64_t offset,
                                  std::size_t len) {
    std::string msg = std::string(what) + " of " + std::to_string(len) + " bytes at offset " +
                      std::to_string(offset) + " of " + out_.slab->name() + " failed: " +
                      ec.message() + "; saves stop until the store is reopened";
    diagnostics d;
    d.assign(std::move(msg), out_.slab->name(), offset);
    shared_->fail(std::move(d));
}

asio::awaitable<void> writer_actor::run() {
    using namespace asio::experimental::awaitable_operators;
    // Named before the co_await (GCC 12 and temporaries inside the expression).
    auto both = gather() && forward();
    co_await std::move(both);
}

void writer_actor::notify(wakeup& s) {
    // Full means a wake-up is already pending: one is enough.
    s.try_send(error_code{});
}

// A condition wait on the strand: the caller re-checks its condition after every wake-up,
// and whoever changes the condition notifies. Checking and starting the wait happen in
// one step on the strand, and a notification nobody waited for stays buffered, so no
// wake-up is missed.
asio::awaitable<void> writer_actor::wait(wakeup& s) {
    co_await s.async_receive(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> writer_actor::drain() {
    while (!flights_.empty()) co_await wait(wake_writer_);
}

asio::awaitable<void> writer_actor::gather() {
    const std::size_t limit = shared_->opts.max_group_commit_bytes;
    for (;;) {
        // The inbox is never closed: the store ends the actor with a stop_request.
        auto [ec, first] = co_await inbox_.async_receive(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;

        std::vector<save_ptr> group;
        std::optional<stop_request> stop;
        std::size_t bytes = 0;
        auto take = [&](writer_message& m) {
            if (auto* w = std::get_if<write_request>(&m)) {
                for (auto& s : w->saves) {
                    bytes += s->changes.byte_size();
                    group.push_back(std::move(s));
                }
            } else {
                stop = std::get<stop_request>(std::move(m));
            }
        };
        take(first);
        // Group commit: everything that queued up meanwhile goes into this one.
        while (!stop && bytes < limit &&
               inbox_.try_receive([&](error_code, writer_message m) { take(m); })) {
        }

        if (!group.empty()) co_await write_group(std::move(group));
        if (stop) {
            // Every group durable and acknowledged first, then the sync mark that vouches
            // for all of them, then the stop, which reaches the index actor last.
            co_await drain();
            co_await mark_synced();
            auto last = std::make_shared<flight>();
            last->done = true;
            last->stop = std::move(stop);
            flights_.push_back(std::move(last));
            advance();
            co_return;
        }
    }
}

void writer_actor::advance() {
    auto& c = shared_->counters;
    while (!held_ && !flights_.empty() && flights_.front()->done) {
        std::shared_ptr<flight> f = std::move(flights_.front());
        flights_.pop_front();
        notify(wake_writer_);
        if (f->stop) {
            // The last message of all; forward() ends after sending it.
            held_.emplace(std::move(*f->stop));
            notify(wake_forwarder_);
            return;
        }
        const std::size_t len = f->buffer.size();
        if (len > 0) {
            c.group_commits.fetch_add(1, std::memory_order_relaxed);
            if (f->sync) c.syncs.fetch_add(1, std::memory_order_relaxed);
        }
        if (f->ec || broken_) {
            // The bytes may or may not be on disk; nothing after them may be trusted, so
            // the store stops taking saves (fail-stop), these saves report the error, and
            // so do those of every later flight, whatever became of their own write (a
            // flight of empty change sets, which writes nothing, included).
            error_code ec = f->ec ? f->ec : make_error_code(errc::store_failed);
            if (f->ec && !broken_) record_failure(ec, f->sync ? "write+fdatasync" : "write", f->at, len);
            broken_ = true;
            for (auto& s : f->out.saves) {
                if (s->diag) *s->diag = shared_->failure();
                std::move(s->completion).complete(ec, std::uint64_t{0});
            }
            f->out.saves.clear();
            f->out.refs.clear();
        } else if (len > 0) {
            // Every flight before this one succeeded, so the slab is durable up to here.
            if (f->sync) out_.synced_upto = f->at + len;
            c.bytes_written.fetch_add(len, std::memory_order_relaxed);
        }
        if (len > 0) {
            f->buffer.clear();
            if (spare_.size() < max_flights) spare_.push_back(std::move(f->buffer));
        }
        if (f->out.saves.empty() && f->out.opened.empty() && f->out.sealed.empty()) continue;
        index_message msg(std::move(f->out));
        // try_send leaves msg alone when it fails.
        if (!index_.try_send(error_code{}, std::move(msg))) {
            held_.emplace(std::move(msg));
            notify(wake_forwarder_);
        }
    }
}

asio::awaitable<void> writer_actor::forward() {
    for (;;) {
        while (!held_) co_await wait(wake_forwarder_);
        const bool stop = std::holds_alternative<stop_request>(*held_);
        // held_ stays set while the send waits, so advance() keeps the order.
        co_await index_.async_send(error_code{}, std::move(*held_), asio::use_awaitable);
        held_.reset();
        if (stop) co_return;
        advance();
    }
}

void writer_actor::end_record(apply_request& out) {
    if (batch_.empty()) return;
    const std::uint64_t record_at = out_.end + buffer_.size();
    const std::uint64_t sequence = batch_.sequence();
    offsets_.clear();
    lengths_.clear();
    batch_.encode(buffer_, out_.synced_upto, offsets_, lengths_);
    for (std::size_t i = 0; i < offsets_.size(); ++i)
        out.refs.push_back(value_ref{static_cast<std::uint32_t>(out_.id),
                                     static_cast<std::uint32_t>(record_at + offsets_[i]), lengths_[i]});
    out_.records++;
    if (out_.min_sequence == 0) out_.min_sequence = sequence;
    out_.max_sequence = sequence;
}

asio::awaitable<void> writer_actor::write_group(std::vector<save_ptr> group) {
    apply_request out;
    buffer_.clear();
    for (auto& save : group) {
        if (shared_->failed()) {
            fail_save(std::move(save), make_error_code(errc::store_failed));
            continue;
        }
        if (save->slab_id != out_.id) {
            end_record(out);
            co_await flush(out);
            if (shared_->failed()) {
                fail_save(std::move(save), make_error_code(errc::store_failed));
                continue;
            }
            if (auto ec = co_await rotate(save->slab_id, save->sequence, out)) {
                fail_save(std::move(save), ec);
                continue;
            }
        }
        if (!batch_.fits(save->changes)) end_record(out);
        batch_.add(save->changes, save->sequence);
        out.saves.push_back(std::move(save));
    }
    end_record(out);
    co_await flush(out);
}

asio::awaitable<void> writer_actor::flush(apply_request& out) {
    if (buffer_.empty() && out.saves.empty() && out.opened.empty() && out.sealed.empty()) co_return;
    while (flights_.size() >= max_flights) co_await wait(wake_writer_);
    auto f = std::make_shared<flight>();
    f->out = std::move(out);
    out = apply_request{};
    if (buffer_.empty()) {
        f->done = true;  // slabs opened or sealed, nothing to write
    } else {
        f->sync = shared_->opts.durability == durability::fsync;
        f->at = out_.end;
        f->buffer.swap(buffer_);
        if (!spare_.empty()) {
            buffer_ = std::move(spare_.back());
            spare_.pop_back();
        }
        // The next group goes after this one whatever becomes of it: never write over
        // what may have reached the disk.
        out_.end = f->at + f->buffer.size();
        auto done = [this, f](error_code ec) {
            f->ec = ec;
            f->done = true;
            advance();
        };
        out_.slab->async_write(f->at, f->buffer, f->sync, asio::bind_executor(strand_, std::move(done)));
    }
    const bool done = f->done;
    flights_.push_back(std::move(f));
    if (done) advance();
}

asio::awaitable<void> writer_actor::mark_synced() {
    if (shared_->failed() || !out_.slab || out_.vouched_upto >= out_.end) co_return;
    if (out_.synced_upto < out_.end) {
        // os_buffered: the records are not durable yet. The mark must not reach the disk
        // before them, so they are synced first.
        if (auto ec = co_await sync_slab(*out_.slab)) {
            record_failure(ec, "fdatasync", 0, static_cast<std::size_t>(out_.end));
            co_return;
        }
        shared_->counters.syncs.fetch_add(1, std::memory_order_relaxed);
        out_.synced_upto = out_.end;
    }
    buffer_.clear();
    const std::uint64_t seq = out_.records ? out_.max_sequence
                                           : (out_.first_sequence ? out_.first_sequence - 1 : 0);
    format::append_sync_mark(buffer_, seq, out_.end);
    const std::uint64_t at = out_.end;
    error_code ec = co_await write_at(*out_.slab, at, buffer_, true);
    const std::size_t len = buffer_.size();
    buffer_.clear();
    if (ec) {
        record_failure(ec, "sync mark write+fdatasync", at, len);
        co_return;
    }
    shared_->counters.bytes_written.fetch_add(len, std::memory_order_relaxed);
    shared_->counters.syncs.fetch_add(1, std::memory_order_relaxed);
    out_.end = out_.synced_upto = out_.vouched_upto = at + len;
}

asio::awaitable<error_code> writer_actor::rotate(std::uint64_t next_id,
                                                 std::uint64_t first_sequence,
                                                 apply_request& out) {
    // Seal and sync the old slab before the next one exists, so that after a crash only
    // the newest log slab can lack its seal (and only it may have a torn tail). The seal
    // follows every record of the slab on disk too: no group commit may still be in flight.
    co_await drain();
    if (shared_->failed()) co_return make_error_code(errc::store_failed);
    buffer_.clear();
    // An empty slab's seal says so with min = first_sequence, max = first_sequence - 1.
    const std::uint64_t min_seq = out_.records ? out_.min_sequence : out_.first_sequence;
    const std::uint64_t max_seq = out_.records ? out_.max_sequence
                                               : (out_.first_sequence ? out_.first_sequence - 1 : 0);
    encode_seal(buffer_, out_.records, out_.end, min_seq, max_seq, out_.synced_upto);
    const std::uint64_t seal_at = out_.end;
    const std::size_t seal_len = buffer_.size();
    error_code ec = co_await write_at(*out_.slab, seal_at, buffer_, true);
    buffer_.clear();
    if (ec) {
        record_failure(ec, "sealing write+fdatasync", seal_at, seal_len);
        co_return ec;
    }
    shared_->counters.bytes_written.fetch_add(seal_len, std::memory_order_relaxed);
    shared_->counters.syncs.fetch_add(1, std::memory_order_relaxed);
    out.sealed.push_back(out_.id);

    auto created = shared_->storage->create(next_id, false);
    if (!created) {
        diagnostics d;
        d.assign("creating slab " + std::to_string(next_id) + " in " +
                     shared_->storage->location() + " failed: " + created.error().message() +
                     "; saves stop until the store is reopened");
        shared_->fail(std::move(d));
        co_return created.error();
    }
    auto header = log_slab_header(next_id, first_sequence);
    output_slab_state next;
    next.slab = std::move(*created);
    next.id = next_id;
    next.first_sequence = first_sequence;
    ec = co_await write_at(*next.slab, 0, header, true);
    if (ec) {
        out_ = std::move(next);
        record_failure(ec, "slab header write+fdatasync", 0, header.size());
        co_return ec;
    }
    shared_->counters.bytes_written.fetch_add(header.size(), std::memory_order_relaxed);
    next.end = header.size();
    next.synced_upto = next.vouched_upto = next.end;
    segment_info info;
    info.handle = std::make_shared<slab_handle>(next.slab);
    info.min_generation = info.max_generation = next_id;
    out.opened.push_back(std::move(info));
    out_ = std::move(next);
    co_return error_code{};
}

}  // namespace fugu::detail
