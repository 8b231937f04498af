// SPDX-License-Identifier: MIT
// The commands fugu-server understands, executed against a Fugu store without any
// socket: a connection hands in the requests it parsed from one read and gets their
// replies back, in order, in one buffer.
//
// How requests map onto the store. Consecutive requests outside MULTI (a pipeline) run
// as one unit: the keys they write are locked (key_locks), they read one snapshot taken
// after the locks, their writes gather in an overlay that later requests of the unit
// read, and the overlay is saved as one change set before any reply leaves. So a
// pipeline of 16 SETs costs one save, INCR is atomic against every other writer, and a
// reply never reports a write that is not yet durable. MULTI/EXEC runs the queued
// requests the same way, as one change set: all or nothing, and isolated from other
// clients' writes to the same keys.
#pragma once

#include "key_locks.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fugu::server {

using request = std::span<const std::string_view>;

struct command_limits {
    // Key and value bytes (plus 16 per key) one pipelined unit may gather before it is
    // saved and the next begins. A single request may be larger, up to the store's limits.
    std::size_t unit_bytes = std::size_t{16} << 20;
    // Requests one unit may hold.
    std::size_t unit_requests = 1024;
    // Requests MULTI may queue.
    std::size_t max_queued = 100000;
    // Keys SCAN returns and KEYS walks are unlimited; COUNT is capped at this.
    std::size_t max_scan_count = 100000;
};

// Figures for INFO.
struct server_counters {
    std::atomic<std::uint64_t> connections_accepted{0};
    std::atomic<std::uint64_t> connections_rejected{0};
    std::atomic<std::uint64_t> connected{0};
    std::atomic<std::uint64_t> commands{0};
    std::atomic<std::uint64_t> units_saved{0};
    std::atomic<std::uint64_t> protocol_errors{0};
};

// State every connection shares: the store, the key locks, a cached snapshot and the
// SCAN cursors. Safe from any thread.
class shared_state {
public:
    shared_state(fugu::store& store, std::string durability_name, command_limits limits = {});

    fugu::store& store;
    key_locks locks;
    server_counters counters;
    const std::string durability_name;
    const command_limits limits;
    std::uint16_t port = 0;  // for INFO
    std::size_t max_clients = 0;

    // A snapshot that sees every save completed before this call. Reused across requests
    // and connections until the next save completes, so a stream of reads does not ask
    // the store for a snapshot each time. Null (with `ec` set) when the store is closed.
    boost::asio::awaitable<std::shared_ptr<const fugu::snapshot>> snapshot(error_code& ec);
    // Called after every successful save, before its replies are sent.
    void saved();

    // SCAN cursors: an opaque number standing for "continue after this key".
    std::uint64_t remember_cursor(std::string after);
    bool recall_cursor(std::uint64_t cursor, std::string& after);

private:
    std::atomic<std::uint64_t> saves_{0};
    std::mutex mu_;
    std::shared_ptr<const fugu::snapshot> cached_;
    std::uint64_t cached_at_ = 0;  // saves_ when cached_ was asked for
    std::map<std::uint64_t, std::string> cursors_;
    std::uint64_t next_cursor_ = 0;
};

// One connection's command state (MULTI's queue). Not thread-safe: one per connection.
class session {
public:
    explicit session(shared_state& shared);

    // Executes `requests` in order and appends their replies to `out`. Returns false when
    // the connection should close after sending `out` (QUIT).
    boost::asio::awaitable<bool> execute(std::span<const request> requests, std::string& out);

private:
    struct unit;
    boost::asio::awaitable<void> run_unit(std::span<const request> requests, std::string& out);
    boost::asio::awaitable<void> exec(std::string& out);

    shared_state& shared_;
    bool in_multi_ = false;
    bool multi_failed_ = false;  // a queued request was refused: EXEC aborts
    std::vector<std::vector<std::string>> queued_;
};

}  // namespace fugu::server
