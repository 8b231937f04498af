// SPDX-License-Identifier: MIT
// The writer actor: turns every change set waiting in its inbox into one write and, under
// durability::fsync, one fdatasync (group commit), then hands the written change sets and
// the places their values landed to the index actor. It alone appends to the output slab,
// and rotates it (seal, sync, create the next) when the allocation actor moved on. After a
// failed write or sync it fails every later save (fail-stop). All members are used only
// on strand_; others talk to it through inbox().
//
// Group commits are pipelined: up to max_flights writes (each with its fdatasync) are in
// flight at once, so the next group is written while the previous one is being synced.
// Flights are acknowledged strictly in the order they were launched: each goes to the
// index actor only once its own write and fdatasync completed and every earlier flight
// succeeded. That happens in the write's completion handler itself (advance()), on the
// strand, with no further trip through the scheduler; only when the index inbox is full
// does a second coroutine, the forwarder, wait for room on advance()'s behalf.
#pragma once

#include "actors/messages.hpp"
#include "actors/record_codec.hpp"
#include "store_shared.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/strand.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace fugu::detail {

// The output slab as recovery left it.
struct output_slab_state {
    std::shared_ptr<fugu::slab> slab;
    std::uint64_t id = 0;
    std::uint64_t end = 0;           // where the next record goes
    std::uint64_t synced_upto = 0;   // every byte below is durable
    std::uint64_t vouched_upto = 0;  // end of the header or of the last sync mark: when it
                                     // is `end`, no record lacks a mark vouching for it
    std::uint64_t first_sequence = 0;  // from the slab header
    std::uint64_t records = 0;       // commit records in the slab
    std::uint64_t min_sequence = 0;  // of those records (0 when none)
    std::uint64_t max_sequence = 0;
};

class writer_actor {
public:
    writer_actor(boost::asio::any_io_executor ex,
                 std::shared_ptr<store_shared> shared,
                 output_slab_state output,
                 inbox_channel<index_message>& index);

    inbox_channel<writer_message>& inbox() noexcept { return inbox_; }

    boost::asio::awaitable<void> run();

    // Group commits whose write (and fdatasync) may run at the same time.
    static constexpr std::size_t max_flights = 4;

private:
    // One launched group commit, waiting for its write (and fdatasync) to complete.
    struct flight {
        apply_request out;
        std::vector<std::byte> buffer;  // the bytes being written; alive until completion
        std::uint64_t at = 0;           // slab offset of buffer
        bool sync = false;
        bool done = false;              // the write completed, with `ec`
        error_code ec;
        std::optional<stop_request> stop;  // the last flight: pass the stop on after it
    };

    // A wake-up for a coroutine waiting on a condition of the strand's state. Buffered
    // (one token), so a wakeup sent while nobody waits is not lost; a stale token only
    // costs a spurious wake-up, after which the waiter re-checks its condition. Unlike a
    // steady_timer used as a condition variable, it never enters the reactor.
    using wakeup = boost::asio::experimental::channel<void(error_code)>;

    boost::asio::awaitable<void> gather();
    // Acknowledges, in launch order, every flight at the front that is done. Runs on the
    // strand, from write completions and from flush(); never suspends.
    void advance();
    // Sends what advance() could not hand to a full index inbox, then resumes advance().
    boost::asio::awaitable<void> forward();
    static void notify(wakeup& s);
    boost::asio::awaitable<void> wait(wakeup& s);
    // Waits until no group commit is in flight (before a rotation).
    boost::asio::awaitable<void> drain();

    boost::asio::awaitable<void> write_group(std::vector<save_ptr> group);
    // Encodes the change sets gathered in batch_ as one record at the end of buffer_.
    void end_record(apply_request& out);
    // Launches the write of buffer_ (if any) with `out` as a flight; waits only for room.
    boost::asio::awaitable<void> flush(apply_request& out);
    boost::asio::awaitable<error_code> rotate(std::uint64_t next_id,
                                              std::uint64_t first_sequence,
                                              apply_request& out);
    // On close: makes the output slab durable and appends a sync mark vouching for all of
    // it, so damage to acknowledged records there is never taken for a torn tail.
    boost::asio::awaitable<void> mark_synced();
    void fail_save(save_ptr save, error_code ec);
    void record_failure(error_code ec, const char* what, std::uint64_t offset, std::size_t len);

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    std::shared_ptr<store_shared> shared_;
    output_slab_state out_;
    std::vector<std::byte> buffer_;       // the group's encoded records
    std::vector<std::vector<std::byte>> spare_;  // buffers of acknowledged flights, for reuse
    std::deque<std::shared_ptr<flight>> flights_;  // launched, not yet acknowledged, in order
    bool broken_ = false;                 // a flight failed: every later one fails too
    // A message for the index actor that found its inbox full; advance() acknowledges
    // nothing more until forward() has sent it (order is preserved).
    std::optional<index_message> held_;
    wakeup wake_forwarder_;               // held_ was set
    wakeup wake_writer_;                  // a flight was acknowledged
    commit_batch batch_;                  // change sets of the record being gathered
    std::vector<std::uint32_t> offsets_, lengths_;  // of its values; reused
    inbox_channel<writer_message> inbox_;
    inbox_channel<index_message>& index_;
};

}  // namespace fugu::detail
