// SPDX-License-Identifier: MIT
// fugu-bench's shared vocabulary: keys and values made from ids with fixed seeds, the
// zipfian generator of YCSB, latency histograms, the operation stream every engine
// consumes, and the engine interface. One workload code path: a workload is a stream of
// operations; an engine adapter only executes them.
#pragma once

#include "bench/bench_config.hpp"

#include <boost/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fugu::bench {

namespace fs = std::filesystem;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t key_size = 16;

// splitmix64's finaliser: a bijection, so distinct ids give distinct keys.
inline std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    return x ^ (x >> 31);
}

// 16 pseudo-random bytes per id: filling ids 0..n-1 in order inserts in random key order.
inline std::array<char, key_size> key_of(std::uint64_t id) {
    std::array<char, key_size> k{};
    const std::uint64_t halves[2] = {mix(id), mix(~id)};
    for (std::size_t j = 0; j < key_size; ++j)
        k[j] = static_cast<char>(halves[j / 8] >> (8 * (j % 8)));
    return k;
}

// Incompressible value bytes: a slice of a fixed random pool chosen by (id, version).
std::string_view value_of(std::uint64_t id, std::uint64_t version, std::size_t size);

// A uniform double in [0, 1) from a seed and an operation index: the same for every engine.
inline double uniform(std::uint64_t seed, std::uint64_t i) {
    return static_cast<double>(mix(seed * 0x2545f4914f6cdd1d + i) >> 11) * 0x1.0p-53;
}

// YCSB's scrambled zipfian over [0, n) (theta 0.99): hot ids spread over the key space.
class zipfian {
public:
    explicit zipfian(std::uint64_t n, double theta = 0.99);
    std::uint64_t at(double u) const;

private:
    std::uint64_t n_;
    double theta_, alpha_, zetan_, eta_;
};

// Latency histogram: 16 linear buckets per power of two of nanoseconds (about 4% wide).
class histogram {
public:
    void add(std::uint64_t ns) {
        ++buckets_[index(ns)];
        ++count_;
    }
    void merge(const histogram& o) {
        for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
        count_ += o.count_;
    }
    std::uint64_t count() const { return count_; }
    double quantile_us(double q) const;

private:
    static std::size_t index(std::uint64_t v) {
        if (v < 16) return static_cast<std::size_t>(v);
        const int msb = 63 - __builtin_clzll(v);
        return static_cast<std::size_t>((msb - 3) * 16) + ((v >> (msb - 4)) & 15);
    }
    static double lower(std::size_t i) {
        if (i < 16) return static_cast<double>(i);
        const int msb = static_cast<int>(i / 16) + 3;
        return std::ldexp(16.0 + static_cast<double>(i % 16), msb - 4);
    }
    std::array<std::uint64_t, 64 * 16> buckets_{};
    std::uint64_t count_ = 0;
};

enum class op_kind { put, batch, get, rmw };

// One operation. put: key `key`; batch: keys key .. key+count-1; get: key; rmw: get, then
// put of a new version. Values are value_of(id, version, value_size).
struct op {
    op_kind kind = op_kind::put;
    std::uint64_t key = 0;
    std::uint32_t count = 1;
    std::uint32_t value_size = 100;
    std::uint64_t version = 0;
    clock_type::time_point start_at{};  // not before this (a paced writer); epoch = now
};

// The operations of one workload run, pulled concurrently by `workers` clients.
class stream {
public:
    stream(unsigned workers, unsigned fugu_threads) : workers_(workers), fugu_threads_(fugu_threads),
          reads_(workers), writes_(workers) {}
    virtual ~stream() = default;

    // Thread-safe. False when this worker is done.
    virtual bool next(unsigned worker, op& o) = 0;

    // Reads of keys that no one writes during the run: an engine may read them all through
    // one view per worker (a snapshot, a read transaction).
    virtual bool read_only() const { return false; }

    unsigned workers() const { return workers_; }
    // Threads that run Fugu's io_context: its many-in-flight runs are coroutines on one.
    unsigned fugu_threads() const { return fugu_threads_; }

    void record(unsigned worker, op_kind k, clock_type::duration d, std::uint32_t keys) {
        const auto ns = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
        if (k == op_kind::get) {
            reads_[worker].h.add(ns);
        } else {
            writes_[worker].h.add(ns);
            writes_[worker].keys += keys;
        }
    }
    void miss() { misses_.fetch_add(1, std::memory_order_relaxed); }

    histogram reads() const;
    histogram writes() const;
    std::uint64_t keys_written() const;
    std::uint64_t misses() const { return misses_.load(); }

private:
    struct alignas(64) slot {
        histogram h;
        std::uint64_t keys = 0;
    };
    unsigned workers_, fugu_threads_;
    std::vector<slot> reads_, writes_;
    std::atomic<std::uint64_t> misses_{0};
};

class engine {
public:
    virtual ~engine() = default;
    virtual std::string name() const = 0;
    // Every option that differs from the library's defaults or matters to the figures.
    virtual json::object options(bool durable) const = 0;
    virtual void open(const fs::path& dir, bool durable) = 0;
    virtual void close() = 0;
    // Runs the stream to its end with stream.workers() clients.
    virtual void run(stream& s) = 0;
    // Engine's own figures after a run (Fugu: write and space amplification, index bytes).
    virtual json::object stats() { return {}; }
};

// A synchronous engine driven by one thread per worker (RocksDB, LevelDB, LMDB).
class sync_engine : public engine {
public:
    void run(stream& s) override;

protected:
    struct kv {
        std::array<char, key_size> key;
        std::string_view value;
    };
    virtual void put(std::string_view key, std::string_view value) = 0;
    virtual void write_batch(const std::vector<kv>& kvs) = 0;
    // True when found; `out` gets the value.
    virtual bool get(std::string_view key, std::string& out, bool read_only) = 0;
    // Called on each worker thread before its first and after its last operation.
    virtual void thread_begin(bool /*read_only*/) {}
    virtual void thread_end() {}
};

std::unique_ptr<engine> make_fugu();
#if FUGU_BENCH_HAVE_ROCKSDB
std::unique_ptr<engine> make_rocksdb();
#endif
#if FUGU_BENCH_HAVE_LEVELDB
std::unique_ptr<engine> make_leveldb();
#endif
#if FUGU_BENCH_HAVE_LMDB
std::unique_ptr<engine> make_lmdb();
#endif

}  // namespace fugu::bench
