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
#include <memory>
#include <mutex>
#include <string>

namespace fugu::detail {

struct store_counters {
    std::atomic<std::uint64_t> saves{0};
    std::atomic<std::uint64_t> bytes_saved{0};
    std::atomic<std::uint64_t> bytes_written{0};
    std::atomic<std::uint64_t> group_commits{0};
    std::atomic<std::uint64_t> syncs{0};
    std::atomic<std::uint64_t> compactions{0};
    std::atomic<std::uint64_t> bytes_rewritten{0};
    std::atomic<std::uint64_t> live_bytes{0};  // as of the newest version (index actor)
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

    // The index actor's view of the segments and keys, refreshed with each version.
    void set_index_stats(store_stats s) {
        std::lock_guard lock(mu_);
        index_stats_ = std::move(s);
    }
    store_stats index_stats() const {
        std::lock_guard lock(mu_);
        return index_stats_;
    }

private:
    mutable std::mutex mu_;
    std::atomic<bool> failed_{false};
    diagnostics failure_;
    store_stats index_stats_;
};

}  // namespace fugu::detail
