// SPDX-License-Identifier: MIT
// The workloads: what each measures, its sizes, and the jobs that run them on one engine.
// A job runs in a child process of its own so that peak RSS and I/O counters are its own.
#pragma once

#include "common.hpp"

#include <functional>
#include <string>
#include <vector>

namespace fugu::bench {

struct sizes {
    std::uint64_t keys = 1'000'000;        // fillrandom, fillbatch, the filled store
    std::uint64_t overwrites = 3'000'000;
    std::uint64_t reads = 1'000'000;       // per readrandom run
    std::uint64_t ycsb_ops = 300'000;      // per YCSB run
    std::uint64_t large_values = 2048;     // 64 KiB values per largevalue run (128 MiB)
    double sync_seconds = 5;               // fillsync runs, and largevalue-sync's cap
    double rww_seconds = 3;                // readwhilewriting
    // Caps that bound the full run on a busy 2-core machine: a counted run stops at its
    // count or at its cap, whichever comes first (the rate is what counts).
    double write_cap_seconds = 4;          // fillrandom, fillbatch, largevalue
    double overwrite_cap_seconds = 12;
    double read_cap_seconds = 3;           // readrandom, YCSB
    double rww_write_rate = 10'000;        // its writer, saves per second
    unsigned reps = 3;
};

sizes quick_sizes();

struct workload_info {
    std::string name;
    std::string group;       // chart the workload belongs to
    std::string metric;      // what `value` is
    std::string unit;
    bool higher_better = true;
    bool durable = false;
    bool read_group = false; // runs on the shared filled store of the read job
    std::string what;        // one line for the report
};

const std::vector<workload_info>& workloads();

// Whether the workload starts from a store that fill_store made (a copy of it in `dir`).
bool needs_filled_store(const std::string& workload);

// Fills a new store in `dir` with sizes::keys keys in change sets of 1000 and closes it.
// The run makes one per engine and gives each job that needs one a fresh copy of it.
json::object fill_store(engine& e, const fs::path& dir, const sizes& z);

// Runs one write workload on the store in `dir` (new, or a copy of the filled store for
// overwrite); the result's "value" is its metric.
json::object run_write_job(engine& e, const std::string& workload, const fs::path& dir,
                           const sizes& z);

// Reopens a copy of the filled store in `dir` and runs every read-group workload on it in
// turn; returns {"reopen_seconds": ..., "workloads": {name: result}}.
// `wanted` picks which of them run (all when it is empty).
json::object run_read_job(engine& e, const fs::path& dir, const sizes& z,
                          const std::function<bool(const std::string&)>& wanted = {});

}  // namespace fugu::bench
