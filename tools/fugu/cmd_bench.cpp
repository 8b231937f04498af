// SPDX-License-Identifier: MIT
// bench: a quick built-in workload on a fresh store: saves with many in flight, random
// reads through a snapshot, and a reopen (index rebuild). Prints throughput and latency.
// For comparable, longer measurements use the benchmarks in perf/.
#include "cli.hpp"
#include "output.hpp"
#include "stats_output.hpp"
#include "workers.hpp"
#include "store_access.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>

namespace fugu::cli {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

struct phase_result {
    std::string name;
    std::uint64_t ops = 0;
    std::uint64_t bytes = 0;
    double seconds = 0;
    std::vector<std::uint32_t> latency_us;  // per op
};

double percentile(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return v[i];
}

struct config {
    std::uint64_t saves = 100'000;
    std::uint64_t reads = 200'000;
    std::uint64_t in_flight = 64;
    std::uint64_t batch = 1;        // puts per change set
    std::uint64_t key_size = 16;
    std::uint64_t value_size = 100;
    std::string durability = "fsync";
};

std::string key_of(std::uint64_t i, std::size_t size) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "k%015llu", static_cast<unsigned long long>(i));
    std::string k(buf);
    k.resize(std::max<std::size_t>(size, 1), '_');
    return k;
}

int bench(std::string_view name, std::span<char* const> argv) {
    args a(name, argv,
           with_options({{"json", 0, false}, {"saves", 0, true}, {"reads", 0, true},
                         {"in-flight", 0, true}, {"batch", 0, true}, {"key-size", 0, true},
                         {"value-size", 0, true}},
                        false, true));
    const std::string& dir = a.need(0, "DIR");
    a.at_most(1);
    config cfg;
    cfg.saves = a.get_uint("saves", cfg.saves);
    cfg.reads = a.get_uint("reads", cfg.reads);
    cfg.in_flight = std::max<std::uint64_t>(1, a.get_uint("in-flight", cfg.in_flight));
    cfg.batch = std::max<std::uint64_t>(1, a.get_uint("batch", cfg.batch));
    cfg.key_size = std::clamp<std::uint64_t>(a.get_uint("key-size", cfg.key_size, true), 1, max_key_size);
    cfg.value_size = std::min<std::uint64_t>(a.get_uint("value-size", cfg.value_size, true), max_value_size);
    cfg.durability = a.get_or("durability", "fsync");
    const bool json = a.has("json");

    const directory_facts facts = inspect_directory(dir);
    if (facts.exists && (!facts.is_directory || facts.has_lock_file || facts.slab_files || facts.other_files)) {
        throw failure(exit_code::usage, "bench needs a fresh store, and " + dir +
                                            " already exists and is not empty; remove it or name another");
    }

    const std::uint64_t keys = cfg.saves * cfg.batch;
    std::vector<phase_result> phases;
    store_stats final_stats;
    double open_seconds = 0;

    if (!json) {
        std::printf("bench: %s saves of %s put(s) (%s-byte keys, %s-byte values), %s in flight, "
                    "durability %s; then %s random reads\n",
                    grouped(cfg.saves).c_str(), grouped(cfg.batch).c_str(), grouped(cfg.key_size).c_str(),
                    grouped(cfg.value_size).c_str(), grouped(cfg.in_flight).c_str(), cfg.durability.c_str(),
                    grouped(cfg.reads).c_str());
        std::fflush(stdout);
    }

    run_async([&]() -> asio::awaitable<int> {
        // Shuffled key order, so the index sees inserts all over its range.
        std::vector<std::uint32_t> order(keys);
        std::iota(order.begin(), order.end(), 0u);
        std::mt19937_64 rng(42);
        std::shuffle(order.begin(), order.end(), rng);
        std::string value(cfg.value_size, '\0');
        for (auto& c : value) c = static_cast<char>('a' + rng() % 26);

        fugu::store s = co_await open_store(dir, a, open_mode::create);
        {
            phase_result p;
            p.name = "save";
            p.latency_us.resize(cfg.saves);
            progress bar("saving", cfg.saves, !json);
            const auto t0 = clock_type::now();
            co_await run_workers(cfg.saves, cfg.in_flight, [&](std::uint64_t i) -> asio::awaitable<void> {
                change_set c;
                for (std::uint64_t b = 0; b < cfg.batch; ++b) c.put(key_of(order[i * cfg.batch + b], cfg.key_size), value);
                const auto start = clock_type::now();
                co_await s.async_save(std::move(c), asio::use_awaitable);
                p.latency_us[i] = static_cast<std::uint32_t>(
                    std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start).count());
            }, bar);
            p.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
            p.ops = cfg.saves;
            p.bytes = keys * (cfg.key_size + cfg.value_size);
            phases.push_back(std::move(p));
        }
        if (cfg.reads && keys) {
            phase_result p;
            p.name = "read";
            p.latency_us.resize(cfg.reads);
            fugu::snapshot snap = co_await s.async_snapshot(asio::use_awaitable);
            progress bar("reading", cfg.reads, !json);
            std::uint64_t bad = 0;
            const auto t0 = clock_type::now();
            co_await run_workers(cfg.reads, cfg.in_flight, [&](std::uint64_t i) -> asio::awaitable<void> {
                const std::string k = key_of((i * 0x9e3779b97f4a7c15ull >> 7) % keys, cfg.key_size);
                const auto start = clock_type::now();
                auto v = co_await snap.async_read(k, asio::use_awaitable);
                p.latency_us[i] = static_cast<std::uint32_t>(
                    std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start).count());
                if (!v || v->size() != cfg.value_size) ++bad;
            }, bar);
            p.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
            p.ops = cfg.reads;
            p.bytes = cfg.reads * cfg.value_size;
            if (bad) throw failure(exit_code::corruption, std::to_string(bad) + " reads returned a wrong value");
            phases.push_back(std::move(p));
        }
        co_await close_store(s, dir);
        // Reopen: the index rebuild from the slabs.
        const auto t0 = clock_type::now();
        fugu::store again = co_await open_store(dir, a, open_mode::existing);
        open_seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
        final_stats = again.stats();
        co_await close_store(again, dir);
        co_return 0;
    });

    if (json) {
        json_writer j;
        j.begin_object();
        j.key("config").begin_object();
        j.field("directory", dir);
        j.field("saves", cfg.saves);
        j.field("reads", cfg.reads);
        j.field("in_flight", cfg.in_flight);
        j.field("batch", cfg.batch);
        j.field("key_size", cfg.key_size);
        j.field("value_size", cfg.value_size);
        j.field("durability", cfg.durability);
        j.end_object();
        j.key("phases").begin_array();
        for (auto& p : phases) {
            j.begin_object();
            j.field("name", p.name);
            j.field("ops", p.ops);
            j.field("seconds", p.seconds);
            j.field("ops_per_second", p.seconds > 0 ? p.ops / p.seconds : 0.0);
            j.field("mb_per_second", p.seconds > 0 ? p.bytes / p.seconds / 1e6 : 0.0);
            j.field("p50_us", percentile(p.latency_us, 0.50));
            j.field("p99_us", percentile(p.latency_us, 0.99));
            j.field("max_us", percentile(p.latency_us, 1.0));
            j.end_object();
        }
        j.end_array();
        j.field("reopen_seconds", open_seconds);
        j.key("stats");
        write_stats_json(j, final_stats);
        j.end_object();
    } else {
        std::printf("\n  %-6s %12s %10s %12s %10s %10s %10s %10s\n", "phase", "ops", "seconds", "ops/s",
                    "MB/s", "p50 us", "p99 us", "max us");
        for (auto& p : phases) {
            std::printf("  %-6s %12s %10s %12s %10s %10s %10s %10s\n", p.name.c_str(), grouped(p.ops).c_str(),
                        fixed(p.seconds, 2).c_str(), grouped(static_cast<std::uint64_t>(p.ops / std::max(p.seconds, 1e-9))).c_str(),
                        fixed(p.bytes / std::max(p.seconds, 1e-9) / 1e6, 1).c_str(),
                        fixed(percentile(p.latency_us, 0.50), 0).c_str(),
                        fixed(percentile(p.latency_us, 0.99), 0).c_str(),
                        fixed(percentile(p.latency_us, 1.0), 0).c_str());
        }
        std::printf("  reopen (index rebuild of %s keys): %s s\n\n", grouped(final_stats.keys).c_str(),
                    fixed(open_seconds, 3).c_str());
        std::printf("the store is left in %s; see it with `fugu stats %s`\n", dir.c_str(), dir.c_str());
    }
    return 0;
}

}  // namespace

command bench_command() {
    static const std::string h = help_text(R"(fugu bench - a quick workload on a fresh store

Usage: fugu bench DIR [options]

Creates a store in DIR (which must not exist, or be empty), saves change sets with
many in flight, reads random keys through a snapshot, closes and reopens it (the
index rebuild), and prints throughput and latency (p50, p99, max) of each phase. The
defaults take well under a minute on a laptop SSD. The store is left in DIR.

Options:
  --saves N          change sets to save (default 100k)
  --batch N          puts per change set (default 1)
  --reads N          random reads afterwards (default 200k)
  --in-flight N      operations in flight at once (default 64)
  --key-size N       bytes per key (default 16)
  --value-size N     bytes per value (default 100)
  --json             one JSON object: config, phases[{name, ops, seconds,
                     ops_per_second, mb_per_second, p50_us, p99_us, max_us}],
                     reopen_seconds, stats{...}

Examples:
  fugu bench ./bench-data
  fugu bench ./bench-data --durability os_buffered --saves 1m --json
)", false, true);
    return {"bench", "quick built-in workload on a fresh store: throughput, latency (--json)", h, bench};
}

}  // namespace fugu::cli
