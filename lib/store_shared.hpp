// SPDX-License-Identifier: MIT
// State every actor, the facade and every snapshot of one store may touch from any
// thread: the options, the storage, lifecycle flags, the failure that stopped saves, and
// the counters behind store::stats(). Everything here is atomic or mutex-guarded; the
// actors' own state lives in the actors.
#pragma once

#include <fugu/error.hpp>
#include <fugu/options.hpp>
#include <fugu/stats.hpp>
#include <fugu/storage.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace fugu::detail {

struct version;

struct store_counters {
    std::atomic<std::uint64_t> saves{0};
    std::atomic<std::uint64_t> bytes_saved{0};
    std::atomic<std::uint64_t> bytes_written{0};
    std::atomic<std::uint64_t> group_commits{0};
    std::atomic<std::uint64_t> syncs{0};
    std::atomic<std::uint64_t> compactions{0};
    std::atomic<std::uint64_t> bytes_rewritten{0};
    std::atomic<std::uint64_t> live_bytes{0};  // as of the newest version (index actor)
    std::atomic<std::uint64_t> sealed_bytes{0};  // bytes of every slab but the output slab
};

// What the index actor last published, for the compaction actor to plan with.
struct published_state {
    std::shared_ptr<const version> latest;
    store_stats stats;  // segments with live and total bytes, in generation order
};

class store_shared {
public:
    store_shared(boost::asio::any_io_executor ex, options opts, std::shared_ptr<fugu::storage> st)
        : executor(std::move(ex)), opts(opts), storage(std::move(st)) {}

    const boost::asio::any_io_executor executor;
    const options opts;
    const std::shared_ptr<fugu::storage> storage;
    std::string engine;       // set once at open
    std::string engine_note;  // set once at open

    store_counters counters;

    // Set when the close finished: later reads and operations get errc::store_closed.
    std::atomic<bool> closed{false};
    // Set when a close starts: compaction abandons a merge in progress.
    std::atomic<bool> closing{false};

    // Slab ids come from one counter for the writer and compaction: never reused.
    std::atomic<std::uint64_t> next_slab_id{1};

    // Called with a slab's id once no version can read it any more (set before the
    // actors start, read-only afterwards).
    std::function<void(std::uint64_t)> on_slab_released;

    // Fail-stop: after a failed write or fdatasync no save may succeed until reopen,
    // because the kernel may have dropped the pages it could not write.
    bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
    void fail(diagnostics why) {
        std::lock_guard lock(mu_);
        if (!failed_.load(std::memory_order_relaxed)) failure_ = std::move(why);
        failed_.store(true, std::memory_order_release);
    }
    diagnostics failure() const {
        std::lock_guard lock(mu_);
        return failure_;
    }

    // The index actor's newest published version and its view of the segments, for
    // compaction; refreshed with each publish.
    void set_published(published_state p) {
        std::lock_guard lock(mu_);
        index_stats_ = p.stats;
        published_ = std::move(p);
    }
    published_state published() const {
        std::lock_guard lock(mu_);
        return published_;
    }
    // The index actor's figures after every change, published or not, for store::stats().
    void set_index_stats(store_stats s) {
        std::lock_guard lock(mu_);
        index_stats_ = std::move(s);
    }
    store_stats index_stats() const {
        std::lock_guard lock(mu_);
        return index_stats_;
    }

    // The newest version the snapshots actor received (null once the store closed).
    // store::async_get reads it without a round trip through the actor when its sequence
    // reaches applied_sequence, i.e. when it holds every save completed so far.
    std::atomic<std::shared_ptr<const version>> readable;

    // Set by the snapshots actor when a snapshot waits for changes the index actor has
    // applied but not published yet; the index actor publishes when it sees it.
    std::atomic<bool> publish_wanted{false};

    // The newest sequence the index actor has applied (and may have completed saves up
    // to), published or not. Raised (release) before those saves' handlers are posted, so
    // a snapshot requested after a save completed reads a value that covers it.
    std::atomic<std::uint64_t> applied_sequence{0};

    // Why the last compaction pass failed, for stats and tools.
    void set_compaction_error(std::string why) {
        std::lock_guard lock(mu_);
        compaction_error_ = std::move(why);
    }

private:
    mutable std::mutex mu_;
    std::atomic<bool> failed_{false};
    diagnostics failure_;
    published_state published_;
    store_stats index_stats_;
    std::string compaction_error_;
};

}  // namespace fugu::detail
