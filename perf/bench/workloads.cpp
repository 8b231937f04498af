// SPDX-License-Identifier: MIT
#include "workloads.hpp"

#include <fstream>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

namespace fugu::bench {

namespace {

constexpr std::uint32_t value_size = 100;
constexpr std::uint32_t large_value_size = 64 << 10;
constexpr std::uint64_t entry_bytes = key_size + value_size;

// Operations by index from `make`, until `total` are handed out or `deadline` passes.
class counted_stream final : public stream {
public:
    counted_stream(unsigned workers, unsigned fugu_threads, std::uint64_t total,
                   std::function<op(std::uint64_t)> make, bool read_only = false,
                   double seconds = 0)
        : stream(workers, fugu_threads), total_(total), make_(std::move(make)),
          read_only_(read_only) {
        if (seconds > 0)
            deadline_ = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                std::chrono::duration<double>(seconds));
    }
    bool next(unsigned, op& o) override {
        if (deadline_ != clock_type::time_point{} && clock_type::now() >= deadline_) return false;
        const std::uint64_t i = next_.fetch_add(1, std::memory_order_relaxed);
        if (i >= total_) return false;
        o = make_(i);
        return true;
    }
    bool read_only() const override { return read_only_; }

private:
    std::uint64_t total_;
    std::function<op(std::uint64_t)> make_;
    bool read_only_;
    clock_type::time_point deadline_{};
    std::atomic<std::uint64_t> next_{0};
};

// Worker 0 writes at a fixed rate; the others read uniformly until `seconds` pass.
class read_while_writing final : public stream {
public:
    read_while_writing(unsigned readers, unsigned fugu_threads, std::uint64_t keys, double seconds,
                       double rate)
        : stream(readers + 1, fugu_threads), keys_(keys), rate_(rate) {
        start_ = clock_type::now();
        end_ = start_ + std::chrono::duration_cast<clock_type::duration>(
                            std::chrono::duration<double>(seconds));
    }
    bool next(unsigned w, op& o) override {
        const auto now = clock_type::now();
        if (now >= end_) return false;
        if (w == 0) {
            const std::uint64_t i = writes_++;
            o = op{op_kind::put, mix(0x3177 + i) % keys_, 1, value_size, 1000 + i,
                   start_ + std::chrono::duration_cast<clock_type::duration>(
                                std::chrono::duration<double>(static_cast<double>(i) / rate_))};
            return o.start_at < end_;
        }
        const std::uint64_t i = reads_.fetch_add(1, std::memory_order_relaxed);
        o = op{op_kind::get, mix(0x4ead + i) % keys_, 1, value_size, 0, {}};
        return true;
    }

private:
    std::uint64_t keys_;
    double rate_;
    clock_type::time_point start_, end_;
    std::uint64_t writes_ = 0;  // worker 0 only
    std::atomic<std::uint64_t> reads_{0};
};

std::uint64_t disk_bytes(const fs::path& dir) {
    std::uint64_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
            n += static_cast<std::uint64_t>(st.st_blocks) * 512;
    }
    return n;
}

// Bytes this process caused to be written to storage (/proc/self/io write_bytes).
std::uint64_t io_write_bytes() {
    std::ifstream f("/proc/self/io");
    std::string name;
    std::uint64_t v = 0;
    while (f >> name >> v)
        if (name == "write_bytes:") return v;
    return 0;
}

// Peak RSS since the last reset, from /proc/self/status (VmHWM, in KiB).
void reset_peak_rss() {
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
}
std::uint64_t peak_rss_bytes() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    return 0;
}

// Runs `s` on `e` and measures it.
json::object measure(engine& e, stream& s) {
    reset_peak_rss();
    const std::uint64_t written0 = io_write_bytes();
    const auto t0 = clock_type::now();
    e.run(s);
    const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    const histogram r = s.reads(), w = s.writes();
    json::object o{{"seconds", secs},
                   {"reads", r.count()},
                   {"writes", w.count()},
                   {"keys_written", s.keys_written()},
                   {"misses", s.misses()},
                   {"peak_rss_bytes", peak_rss_bytes()},
                   {"io_write_bytes", io_write_bytes() - written0}};
    if (r.count())
        o["read_latency_us"] = {{"p50", r.quantile_us(0.5)},
                                {"p99", r.quantile_us(0.99)},
                                {"p999", r.quantile_us(0.999)}};
    if (w.count())
        o["write_latency_us"] = {{"p50", w.quantile_us(0.5)},
                                 {"p99", w.quantile_us(0.99)},
                                 {"p999", w.quantile_us(0.999)}};
    if (s.misses()) throw std::runtime_error("reads missed " + std::to_string(s.misses()) + " keys");
    return o;
}

double num(const json::object& o, const char* k) { return o.at(k).to_number<double>(); }

// Fills ids [0, n) in change sets of `per_set`, one worker.
void fill(engine& e, std::uint64_t n, std::uint32_t per_set) {
    counted_stream s(1, 1, (n + per_set - 1) / per_set, [=](std::uint64_t i) {
        const std::uint64_t first = i * per_set;
        return op{op_kind::batch, first, static_cast<std::uint32_t>(std::min<std::uint64_t>(per_set, n - first)),
                  value_size, 0, {}};
    });
    e.run(s);
}

op ycsb_op(const zipfian& z, double read_share, bool rmw, std::uint64_t i) {
    const std::uint64_t key = z.at(uniform(0xc5b, i));
    const bool read = uniform(0xc5c, i) < read_share;
    return op{read ? op_kind::get : (rmw ? op_kind::rmw : op_kind::put), key, 1, value_size,
              1'000'000 + i, {}};
}

}  // namespace

sizes quick_sizes() {
    sizes z;
    z.keys = 10'000;
    z.overwrites = 20'000;
    z.reads = 10'000;
    z.ycsb_ops = 5'000;
    z.large_values = 32;
    z.sync_seconds = 0.2;
    z.rww_seconds = 0.2;
    z.write_cap_seconds = z.overwrite_cap_seconds = z.read_cap_seconds = 1;
    z.reps = 1;
    return z;
}

const std::vector<workload_info>& workloads() {
    static const std::vector<workload_info> w{
        {"fillrandom-1", "fill", "keys/s", "keys/s", true, false, false,
         "fresh store, 1 key per change set in random key order, 1 in flight, not synced"},
        {"fillrandom-64", "fill", "keys/s", "keys/s", true, false, false,
         "as fillrandom-1 with 64 in flight"},
        {"fillbatch", "fill", "keys/s", "keys/s", true, false, false,
         "fresh store, 100 keys per change set, 1 in flight, not synced"},
        {"overwrite", "fill", "keys/s", "keys/s", true, false, false,
         "a copy of the store filled with the keys, reopened, then random overwrites of them, 1 "
         "key per change set, 64 in flight, not synced; write and space amplification at the end"},
        {"fillsync-1", "durable", "saves/s", "saves/s", true, true, false,
         "fresh store, durable saves of 1 key, 1 in flight, for a fixed time"},
        {"fillsync-16", "durable", "saves/s", "saves/s", true, true, false,
         "as fillsync-1 with 16 in flight"},
        {"largevalue", "largevalue", "MB/s", "MB/s", true, false, false,
         "64 KiB values, 1 per change set, 16 in flight, not synced"},
        {"largevalue-sync", "largevalue", "MB/s", "MB/s", true, true, false,
         "64 KiB values, durable saves, 16 in flight"},
        {"readrandom-1", "read", "reads/s", "reads/s", true, false, true,
         "uniform point reads of existing keys after reopen, 1 thread"},
        {"readrandom-2", "read", "reads/s", "reads/s", true, false, true,
         "as readrandom-1 with 2 threads"},
        {"ycsb-c", "ycsb", "ops/s", "ops/s", true, false, true,
         "YCSB C: 100% reads, zipfian, 2 threads"},
        {"readwhilewriting", "latency", "read p99", "us", false, false, true,
         "2 reader threads, uniform keys, while 1 writer overwrites at a fixed rate"},
        {"ycsb-b", "ycsb", "ops/s", "ops/s", true, false, true,
         "YCSB B: 95% reads, 5% updates, zipfian, 2 threads"},
        {"ycsb-a", "ycsb", "ops/s", "ops/s", true, false, true,
         "YCSB A: 50% reads, 50% updates, zipfian, 2 threads"},
        {"ycsb-f", "ycsb", "ops/s", "ops/s", true, false, true,
         "YCSB F: 50% reads, 50% read-modify-writes, zipfian, 2 threads"},
    };
    return w;
}

bool needs_filled_store(const std::string& workload) {
    if (workload == "overwrite") return true;
    for (const auto& w : workloads())
        if (w.name == workload) return w.read_group;
    return false;
}

json::object run_write_job(engine& e, const std::string& name, const fs::path& dir,
                           const sizes& z) {
    const workload_info* info = nullptr;
    for (const auto& w : workloads())
        if (w.name == name) info = &w;
    if (!info) throw std::runtime_error("unknown workload " + name);
    const auto t_open = clock_type::now();
    e.open(dir, info->durable);
    const double open_secs = std::chrono::duration<double>(clock_type::now() - t_open).count();
    json::object r;
    const std::uint64_t n = z.keys;
    auto random_put = [](std::uint64_t i) { return op{op_kind::put, i, 1, value_size, 0, {}}; };
    if (name == "fillrandom-1" || name == "fillrandom-64") {
        counted_stream s(name == "fillrandom-1" ? 1 : 64, 1, z.keys, random_put, false,
                         z.write_cap_seconds);
        r = measure(e, s);
        r["value"] = num(r, "keys_written") / num(r, "seconds");
    } else if (name == "fillbatch") {
        counted_stream s(1, 1, z.keys / 100, [](std::uint64_t i) {
            return op{op_kind::batch, i * 100, 100, value_size, 0, {}};
        }, false, z.write_cap_seconds);
        r = measure(e, s);
        r["value"] = num(r, "keys_written") / num(r, "seconds");
    } else if (name == "fillsync-1" || name == "fillsync-16") {
        counted_stream s(name == "fillsync-1" ? 1 : 16, 1, ~std::uint64_t{0}, random_put, false,
                         z.sync_seconds);
        r = measure(e, s);
        r["value"] = num(r, "keys_written") / num(r, "seconds");
    } else if (name == "overwrite") {
        // `dir` holds a copy of the store fill_store made: the open above reopened it.
        counted_stream s(64, 1, z.overwrites, [n](std::uint64_t i) {
            return op{op_kind::put, mix(0x0e0e + i) % n, 1, value_size, 1 + i, {}};
        }, false, z.overwrite_cap_seconds);
        r = measure(e, s);
        r["value"] = num(r, "keys_written") / num(r, "seconds");
        const double live = static_cast<double>(n * entry_bytes);
        r["space_amplification"] = static_cast<double>(disk_bytes(dir)) / live;
        r["write_amplification"] =
            num(r, "io_write_bytes") / (num(r, "keys_written") * static_cast<double>(entry_bytes));
    } else if (name == "largevalue" || name == "largevalue-sync") {
        counted_stream s(16, 1, z.large_values, [](std::uint64_t i) {
            return op{op_kind::put, i, 1, large_value_size, 0, {}};
        }, false, z.write_cap_seconds);
        r = measure(e, s);
        r["value"] = num(r, "keys_written") * large_value_size / num(r, "seconds") / 1e6;
    } else {
        throw std::runtime_error("not a write workload: " + name);
    }
    if (name != "overwrite" && num(r, "keys_written") > 0) {
        const double user = num(r, "keys_written") *
                            (key_size + (name.rfind("largevalue", 0) == 0 ? large_value_size : value_size));
        r["write_amplification"] = num(r, "io_write_bytes") / user;
    }
    r["open_seconds"] = open_secs;
    r["engine_stats"] = e.stats();
    e.close();
    r["disk_bytes_after_close"] = disk_bytes(dir);
    return r;
}

json::object fill_store(engine& e, const fs::path& dir, const sizes& z) {
    e.open(dir, false);
    const auto t0 = clock_type::now();
    fill(e, z.keys, 1000);
    const double fill_secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    e.close();
    return {{"fill_seconds", fill_secs}, {"disk_bytes", disk_bytes(dir)}};
}

json::object run_read_job(engine& e, const fs::path& dir, const sizes& z,
                          const std::function<bool(const std::string&)>& wanted) {
    const std::uint64_t n = z.keys;
    const auto t0 = clock_type::now();
    e.open(dir, false);
    const double reopen_secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    json::object out{{"reopen_seconds", reopen_secs},
                     {"disk_bytes", disk_bytes(dir)},
                     {"engine_stats_after_reopen", e.stats()}};
    json::object results;
    const zipfian zipf(n);
    for (const auto& w : workloads()) {
        if (!w.read_group || (wanted && !wanted(w.name))) continue;
        json::object r;
        if (w.name == "readrandom-1" || w.name == "readrandom-2") {
            const unsigned t = w.name == "readrandom-1" ? 1 : 2;
            counted_stream s(t, t, z.reads, [n](std::uint64_t i) {
                return op{op_kind::get, mix(0x7ead + i) % n, 1, value_size, 0, {}};
            }, true, z.read_cap_seconds);
            r = measure(e, s);
            r["value"] = num(r, "reads") / num(r, "seconds");
        } else if (w.name == "readwhilewriting") {
            read_while_writing s(2, 2, n, z.rww_seconds, z.rww_write_rate);
            r = measure(e, s);
            r["value"] = r.at("read_latency_us").as_object().at("p99").to_number<double>();
            r["reads_per_second"] = num(r, "reads") / num(r, "seconds");
        } else {
            const double share = w.name == "ycsb-c" ? 1.0 : w.name == "ycsb-b" ? 0.95 : 0.5;
            const bool rmw = w.name == "ycsb-f";
            counted_stream s(2, 2, z.ycsb_ops, [&zipf, share, rmw](std::uint64_t i) {
                return ycsb_op(zipf, share, rmw, i);
            }, false, z.read_cap_seconds);
            r = measure(e, s);
            r["value"] = (num(r, "reads") + num(r, "writes")) / num(r, "seconds");
        }
        results[w.name] = std::move(r);
    }
    out["engine_stats_at_end"] = e.stats();
    e.close();
    out["workloads"] = std::move(results);
    return out;
}

}  // namespace fugu::bench
