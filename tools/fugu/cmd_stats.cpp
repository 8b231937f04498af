// SPDX-License-Identifier: MIT
// stats: the store's figures (read-side: nothing on disk changes); compact: one
// compaction pass, with the figures before and after.
#include "cli.hpp"
#include "output.hpp"
#include "stats_output.hpp"
#include "store_access.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>

namespace fugu::cli {

namespace asio = boost::asio;

void write_stats_json(json_writer& j, const store_stats& s) {
    j.begin_object();
    j.field("keys", s.keys);
    j.field("last_sequence", s.last_sequence);
    j.field("live_bytes", s.live_bytes);
    j.field("disk_bytes", s.disk_bytes);
    j.field("stale_bytes", s.stale_bytes);
    j.field("space_amplification", s.space_amplification);
    j.field("write_amplification", s.write_amplification);
    j.field("index_bytes", s.index_bytes);
    j.field("io_engine", s.io_engine);
    j.field("io_engine_note", s.io_engine_note);
    j.field("saves", s.saves);
    j.field("bytes_saved", s.bytes_saved);
    j.field("bytes_written", s.bytes_written);
    j.field("group_commits", s.group_commits);
    j.field("syncs", s.syncs);
    j.field("compactions", s.compactions);
    j.field("bytes_rewritten", s.bytes_rewritten);
    j.key("segments").begin_array();
    for (const auto& g : s.segments) {
        j.begin_object();
        j.field("id", g.id);
        j.field("kind", g.merged ? "merged" : "log");
        j.field("min_generation", g.min_generation);
        j.field("max_generation", g.max_generation);
        j.field("size_bytes", g.size_bytes);
        j.field("live_bytes", g.live_bytes);
        j.field("stale_bytes", g.stale_bytes);
        j.field("live_entries", g.live_entries);
        j.field("sealed", g.sealed);
        j.end_object();
    }
    j.end_array();
    j.end_object();
}

void print_stats(const store_stats& s, const std::string& directory) {
    auto row = [](const char* name, const std::string& v) { std::printf("  %-22s %s\n", name, v.c_str()); };
    auto bytes = [](std::uint64_t n) { return human_bytes(n) + " (" + grouped(n) + ")"; };
    std::printf("store %s\n", directory.c_str());
    row("keys", grouped(s.keys));
    row("last sequence", grouped(s.last_sequence));
    row("live bytes", bytes(s.live_bytes));
    row("disk bytes", bytes(s.disk_bytes));
    row("stale bytes", bytes(s.stale_bytes));
    row("space amplification", fixed(s.space_amplification, 2) + "x (disk / live)");
    row("index RAM", human_bytes(s.index_bytes));
    row("I/O engine", s.io_engine + (s.io_engine_note.empty() ? "" : " (" + s.io_engine_note + ")"));
    if (s.saves || s.compactions) {
        row("saves since open", grouped(s.saves));
        row("write amplification", fixed(s.write_amplification, 2) + "x (written / saved)");
        row("compactions", grouped(s.compactions));
    }
    std::printf("  segments (%zu):\n", s.segments.size());
    std::printf("    %-8s %-7s %-13s %12s %12s %12s %10s  %s\n", "slab", "kind", "generations",
                "size", "live", "stale", "entries", "state");
    for (const auto& g : s.segments) {
        const std::string gens = g.min_generation == g.max_generation
                                     ? std::to_string(g.min_generation)
                                     : std::to_string(g.min_generation) + ".." + std::to_string(g.max_generation);
        std::printf("    %-8llu %-7s %-13s %12s %12s %12s %10s  %s\n",
                    static_cast<unsigned long long>(g.id), g.merged ? "merged" : "log",
                    gens.c_str(), human_bytes(g.size_bytes).c_str(), human_bytes(g.live_bytes).c_str(),
                    human_bytes(g.stale_bytes).c_str(), grouped(g.live_entries).c_str(),
                    g.sealed ? "sealed" : "open");
    }
}

namespace {

int stats(std::string_view name, std::span<char* const> argv) {
    args a(name, argv, with_options({{"json", 0, false}}, false));
    const std::string& dir = a.need(0, "DIR");
    a.at_most(1);
    store_stats s;
    run_async([&]() -> asio::awaitable<int> {
        auto ro = std::make_shared<readonly_storage>(co_await asio::this_coro::executor, dir,
                                                     options_from(a));
        fugu::store st = co_await open_store(dir, a, open_mode::read_side, ro);
        s = st.stats();
        s.io_engine = ro->engine_name();
        s.io_engine_note = ro->engine_note();
        co_await close_store(st, dir);
        co_return 0;
    });
    if (a.has("json")) {
        json_writer j;
        write_stats_json(j, s);
    } else {
        print_stats(s, dir);
    }
    return 0;
}

int compact(std::string_view name, std::span<char* const> argv) {
    args a(name, argv, with_options({{"json", 0, false}}, false));
    const std::string& dir = a.need(0, "DIR");
    a.at_most(1);
    const bool json = a.has("json");
    store_stats before, after;
    double seconds = 0;
    run_async([&]() -> asio::awaitable<int> {
        fugu::store st = co_await open_store(dir, a, open_mode::existing);
        before = st.stats();
        if (!json) {
            std::printf("compacting %s: %s on disk in %zu slabs, %s live\n", dir.c_str(),
                        human_bytes(before.disk_bytes).c_str(), before.segments.size(),
                        human_bytes(before.live_bytes).c_str());
            std::fflush(stdout);
        }
        const auto t0 = std::chrono::steady_clock::now();
        if (!json && stdout_is_tty()) {
            // The pass is one operation with no known total: on a terminal, show the time
            // and the bytes rewritten so far while it runs.
            auto ex = co_await asio::this_coro::executor;
            bool finished = false;
            asio::steady_timer tick(ex);
            auto ticker = [&]() -> asio::awaitable<void> {
                while (!finished) {
                    tick.expires_after(std::chrono::milliseconds(200));
                    auto [ec] = co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
                    (void)ec;
                    if (finished) break;
                    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                    std::printf("\rcompacting... %s s, %s rewritten   ", fixed(t, 1).c_str(),
                                human_bytes(st.stats().bytes_rewritten).c_str());
                    std::fflush(stdout);
                }
            };
            auto body = ticker();
            asio::co_spawn(ex, std::move(body), asio::detached);
            auto [ec] = co_await st.async_compact(asio::as_tuple(asio::use_awaitable));
            finished = true;
            tick.cancel();
            std::printf("\r%60s\r", "");
            if (ec) fail(ec, st.failure(), dir);
        } else {
            co_await st.async_compact(asio::use_awaitable);
        }
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        after = st.stats();
        co_await close_store(st, dir);
        co_return 0;
    });
    if (json) {
        json_writer j;
        j.begin_object();
        j.field("seconds", seconds);
        j.field("bytes_rewritten", after.bytes_rewritten);
        j.key("before");
        write_stats_json(j, before);
        j.key("after");
        write_stats_json(j, after);
        j.end_object();
    } else {
        std::printf("done in %s s: %s on disk in %zu slabs (was %s in %zu), %s rewritten, "
                    "space amplification %sx\n",
                    fixed(seconds, 2).c_str(), human_bytes(after.disk_bytes).c_str(),
                    after.segments.size(), human_bytes(before.disk_bytes).c_str(),
                    before.segments.size(), human_bytes(after.bytes_rewritten).c_str(),
                    fixed(after.space_amplification, 2).c_str());
    }
    return 0;
}

}  // namespace

command stats_command() {
    static const std::string h = help_text(R"(fugu stats - the store's figures

Usage: fugu stats DIR [--json]

Prints the number of keys, live and stale bytes, bytes on disk, space amplification,
the I/O engine and every segment (slab) with its generations, size and live data.
Reading never changes the store.

Options:
  --json     one JSON object (keys, live_bytes, disk_bytes, stale_bytes,
             space_amplification, segments[...], ...)

Examples:
  fugu stats ./data
  fugu stats ./data --json | python3 -m json.tool
)", false);
    return {"stats", "keys, live/stale bytes, segments, amplification (--json)", h, stats};
}

command compact_command() {
    static const std::string h = help_text(R"(fugu compact - run a compaction pass now

Usage: fugu compact DIR [--json]

Merges runs of sealed slabs, dropping stale versions and removed keys, and prints
the bytes on disk before and after. Background compaction does this on its own; this
command is for reclaiming space at a time of your choosing.

Options:
  --json     {"seconds": ..., "bytes_rewritten": ..., "before": {stats}, "after": {stats}}

Example:
  fugu compact ./data
)", false);
    return {"compact", "run a compaction pass now, show bytes before and after", h, compact};
}

}  // namespace fugu::cli
