// SPDX-License-Identifier: MIT
// fugu-store-bench: what the public store API delivers with 16-byte keys and 100-byte
// values, each workload on a fresh store on the disk under test: os_buffered saves with 1
// and 64 in flight, 100-key change sets, durable saves next to fio's fdatasync rate on the
// same directory, point reads through one snapshot, and index bytes per key. Everything,
// the store's actors included, runs on one io_context thread; run() owns all the state.
#include "fio_job.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <linux/magic.h>
#include <malloc.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t key_size = 16;
constexpr std::size_t value_size = 100;
constexpr std::size_t index_value_size = 8;  // small, so the 10M-key fill stays modest on disk
constexpr std::size_t fill_set_keys = 1000;  // keys per change set when filling
constexpr unsigned fill_in_flight = 4;
constexpr std::array<unsigned, 2> many_in_flight{1, 64};  // os_buffered saves
constexpr std::array<unsigned, 2> some_in_flight{1, 16};  // durable saves and reads

const char* const workload_names[] = {"saves", "batch", "durable", "reads", "index"};

struct config {
    fs::path base;           // where the scratch directory goes
    fs::path work;           // the scratch directory, removed at the end
    std::string filesystem;  // what work is on, found before it is removed
    bool quick = false;
    std::set<std::string> only;
    fugu::io_engine engine = fugu::io_engine::automatic;
    std::string engine_name = "automatic";
    std::uint64_t saves = 200'000;         // per os_buffered saves run
    std::uint64_t batch_keys = 2'000'000;  // per 100-key change-set run
    unsigned durable_seconds = 5;
    std::uint64_t read_fill = 1'000'000;
    std::uint64_t reads = 500'000;  // per read run
    std::vector<std::uint64_t> index_fills{1'000'000, 10'000'000};

    bool wants(const std::string& name) const { return only.empty() || only.count(name) != 0; }
};

void usage(const char* argv0) {
    std::printf(
        "usage: %s [--dir DIR] [--quick] [--only NAME]... [--engine io_uring|threads]\n"
        "\n"
        "Measures the public store API with 16-byte keys and 100-byte values, each workload\n"
        "on a fresh store, all on one io_context thread:\n"
        "  saves    os_buffered saves of one key, 1 and 64 in flight (200k saves each)\n"
        "  batch    os_buffered change sets of 100 keys, 1 and 64 in flight (2M keys each)\n"
        "  durable  fsync saves of one key, 1 and 16 in flight, 5 s each, next to fio's\n"
        "           4 KiB write + fdatasync rate on the same directory\n"
        "  reads    random point reads through one snapshot after filling 1M keys and\n"
        "           reopening, 1 and 16 in flight (500k reads each)\n"
        "  index    RAM per key after filling 1M and 10M random keys (8-byte values)\n"
        "\n"
        "  --dir DIR      where the stores go: a new directory is made inside DIR and removed\n"
        "                 afterwards. Default: the current directory. Not /tmp: it is often\n"
        "                 tmpfs, where fdatasync is free and the durable figures mean nothing.\n"
        "  --quick        smaller counts and 1 s durable runs; the whole run takes < 1 minute\n"
        "  --only NAME    run only this workload (may be repeated)\n"
        "  --engine E     io_uring or threads. Default: automatic (io_uring where possible)\n"
        "\n"
        "Progress goes to stderr, the table to stdout. Without fio on PATH the durable\n"
        "figures come without ratios.\n",
        argv0);
}

std::optional<config> parse(int argc, char** argv) {
    config c;
    c.base = fs::current_path();
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(argv[0]);
            std::exit(0);
        } else if (a == "--dir" && i + 1 < argc) {
            c.base = argv[++i];
        } else if (a == "--quick") {
            c.quick = true;
        } else if (a == "--only" && i + 1 < argc) {
            const std::string name = argv[++i];
            bool known = false;
            for (const char* w : workload_names) known = known || name == w;
            if (!known) return std::nullopt;
            c.only.insert(name);
        } else if (a == "--engine" && i + 1 < argc) {
            c.engine_name = argv[++i];
            if (c.engine_name == "io_uring") {
                c.engine = fugu::io_engine::io_uring;
            } else if (c.engine_name == "threads") {
                c.engine = fugu::io_engine::threads;
            } else {
                return std::nullopt;
            }
        } else {
            return std::nullopt;
        }
    }
    if (c.quick) {
        c.saves = 20'000;
        c.batch_keys = 200'000;
        c.durable_seconds = 1;
        c.read_fill = 100'000;
        c.reads = 100'000;
        c.index_fills = {100'000, 1'000'000};
    }
    return c;
}

// splitmix64's finaliser. It is a bijection, so distinct indices give distinct keys, and
// a key can be made again from its index instead of being kept (which would count in RSS).
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    return x ^ (x >> 31);
}

std::array<char, key_size> key_of(std::uint64_t i) {
    std::array<char, key_size> k{};
    const std::uint64_t halves[2] = {mix(i), mix(~i)};
    for (std::size_t j = 0; j < key_size; ++j)
        k[j] = static_cast<char>(halves[j / 8] >> (8 * (j % 8)));
    return k;
}

std::string make_value(std::size_t n) {
    std::string v(n, '\0');
    for (std::size_t j = 0; j < n; ++j) v[j] = static_cast<char>(mix(j + 12345));
    return v;
}

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

// Resident bytes of this process, from /proc/self/statm.
std::uint64_t rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

__attribute__((format(printf, 1, 2))) void progress(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    std::vfprintf(stderr, fmt, args);
    va_end(args);
    std::fflush(stderr);
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// Runs `workers` coroutines made by `make(worker)` on the current executor and completes
// when all have finished; rethrows the first failure.
asio::awaitable<void> all_of(unsigned workers,
                             const std::function<asio::awaitable<void>(unsigned)>& make) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer finished(ex, asio::steady_timer::time_point::max());
    unsigned remaining = workers;
    std::exception_ptr first;
    for (unsigned w = 0; w < workers; ++w) {
        auto on_done = [&](std::exception_ptr e) {
            if (e && !first) first = e;
            if (--remaining == 0) finished.cancel();
        };
        asio::co_spawn(ex, make(w), on_done);
    }
    // The cancel is the wake-up; it may also come before the wait starts.
    while (remaining > 0) {
        auto r = co_await finished.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)r;
    }
    if (first) std::rethrow_exception(first);
}

// Work shared by the coroutines of one save run. Keys are claimed in order, so a run with
// a key budget writes each index once whatever the number in flight.
struct save_run {
    save_run(fugu::store& s, std::string_view v, std::size_t per_set)
        : store(&s), value(v), keys_per_set(per_set) {}

    fugu::store* store;
    std::string_view value;
    std::size_t keys_per_set;
    std::uint64_t key_budget = 0;                    // stop after this many keys, or
    std::optional<clock_type::time_point> deadline;  // at this time
    std::uint64_t next_key = 0;
    std::uint64_t saves = 0;           // acknowledged
    std::uint64_t progress_every = 0;  // print a line every so many keys; 0 = never
};

asio::awaitable<void> save_worker(save_run& r) {
    for (;;) {
        if (r.deadline ? clock_type::now() >= *r.deadline
                       : r.next_key + r.keys_per_set > r.key_budget)
            break;
        fugu::change_set changes;
        for (std::size_t k = 0; k < r.keys_per_set; ++k) {
            const auto key = key_of(r.next_key++);
            changes.put(std::string_view(key.data(), key.size()), r.value);
        }
        co_await r.store->async_save(std::move(changes), asio::use_awaitable);
        ++r.saves;
        const std::uint64_t acked = r.saves * r.keys_per_set;
        if (r.progress_every && acked % r.progress_every == 0)
            progress("  ... %llu keys saved\n", static_cast<unsigned long long>(acked));
    }
}

// Runs `r` with `in_flight` coroutines; returns the seconds it took.
asio::awaitable<double> timed_saves(save_run& r, unsigned in_flight) {
    const auto t0 = clock_type::now();
    // Named first: GCC 12 double-destroys a capturing lambda built inside a co_await.
    const std::function<asio::awaitable<void>(unsigned)> make = [&r](unsigned) {
        return save_worker(r);
    };
    co_await all_of(in_flight, make);
    co_return seconds_since(t0);
}

struct row {
    std::string workload;
    std::string result;
    std::string unit;
    std::string detail;
};

// One fresh store in its own directory, with the options it was opened with; done() closes
// and deletes it.
class scratch_store {
public:
    scratch_store(const config& c, const std::string& name, fugu::durability d)
        : dir_(c.work / name) {
        opts_.durability = d;
        opts_.io_engine = c.engine;
        opts_.error_if_exists = true;
    }

    asio::awaitable<void> open() {
        auto ex = co_await asio::this_coro::executor;
        std::string path = dir_.string();
        fugu::diagnostics diag;
        auto r = co_await fugu::store::async_open(ex, path, opts_, diag,
                                                  asio::as_tuple(asio::use_awaitable));
        auto& [ec, st] = r;
        if (ec)
            throw std::runtime_error("cannot open a store in " + path + ": " + ec.message() +
                                     (diag.message().empty() ? "" : " (" + diag.message() + ")"));
        store_ = std::move(st);
        opts_.error_if_exists = false;  // reopening is allowed
    }

    asio::awaitable<void> close() { co_await store_.async_close(asio::use_awaitable); }

    asio::awaitable<void> done() {
        co_await close();
        fs::remove_all(dir_);
    }

    fugu::store& store() { return store_; }

private:
    fs::path dir_;
    fugu::options opts_;
    fugu::store store_;
};

class bench {
public:
    explicit bench(const config& c) : c_(c), value_(make_value(value_size)) {}

    asio::awaitable<void> run() {
        if (c_.wants("saves")) {
            for (unsigned n : many_in_flight) co_await buffered(1, n);
        }
        if (c_.wants("batch")) {
            for (unsigned n : many_in_flight) co_await buffered(100, n);
        }
        if (c_.wants("durable")) co_await durable();
        if (c_.wants("reads")) co_await reads();
        if (c_.wants("index")) {
            for (std::uint64_t n : c_.index_fills) co_await index(n);
        }
    }

    const std::vector<row>& rows() const { return rows_; }
    const std::string& engine() const { return engine_; }
    const std::string& engine_note() const { return engine_note_; }

private:
    void note_engine(scratch_store& s) {
        const auto stats = s.store().stats();
        engine_ = stats.io_engine;
        engine_note_ = stats.io_engine_note;
    }

    // One-key saves (per_set 1, figure in saves/s) or 100-key sets (figure in keys/s).
    asio::awaitable<void> buffered(std::size_t per_set, unsigned in_flight) {
        const std::uint64_t budget = per_set == 1 ? c_.saves : c_.batch_keys;
        progress("%s: %llu keys in os_buffered sets of %zu, %u in flight ...\n",
                 per_set == 1 ? "saves" : "batch", static_cast<unsigned long long>(budget), per_set,
                 in_flight);
        scratch_store s(c_, "buffered-" + std::to_string(per_set) + "-" + std::to_string(in_flight),
                        fugu::durability::os_buffered);
        co_await s.open();
        note_engine(s);
        save_run r(s.store(), value_, per_set);
        r.key_budget = budget;
        const double secs = co_await timed_saves(r, in_flight);
        const auto stats = s.store().stats();
        co_await s.done();
        const double sets = static_cast<double>(r.saves);
        const double rate = sets * static_cast<double>(per_set) / secs;
        const char* unit = per_set == 1 ? "saves/s" : "keys/s";
        progress("  %.0f %s (%.2f s, %llu group commits)\n", rate, unit, secs,
                 static_cast<unsigned long long>(stats.group_commits));
        rows_.push_back({(per_set == 1 ? "saves, " : "100-key sets, ") + std::to_string(in_flight) +
                             " in flight",
                         fixed(rate, 0), unit,
                         "os_buffered, " + std::to_string(per_set) + " key/set, " +
                             std::to_string(r.saves) + " saves in " + fixed(secs, 2) + " s (" +
                             fixed(sets / secs, 0) + " saves/s), " +
                             std::to_string(stats.group_commits) + " group commits"});
    }

    // fio's rate first, then Fugu's with 1 and 16 in flight, all in the same directory.
    asio::awaitable<void> durable() {
        const unsigned secs = c_.durable_seconds;
        std::optional<double> fio;
        std::string why = "fio not found on PATH";
        if (fugu::perf::fio_available()) {
            progress("durable: fio 4 KiB write + fdatasync for %u s ...\n", secs);
            fio = fio_fdatasync(why);
            if (fio) {
                progress("  fio: %.0f fdatasync/s\n", *fio);
            } else {
                progress("  fio failed: %s\n", why.c_str());
            }
        }
        if (fio) {
            rows_.push_back(
                {"fio 4 KiB write + fdatasync", fixed(*fio, 0), "ops/s",
                 "psync, 1 job, queue depth 1, " + std::to_string(secs) + " s, same directory"});
        } else {
            rows_.push_back({"fio 4 KiB write + fdatasync", "-", "", why});
        }
        for (unsigned n : some_in_flight) {
            progress("durable: fsync saves of 1 key, %u in flight, %u s ...\n", n, secs);
            scratch_store s(c_, "durable-" + std::to_string(n), fugu::durability::fsync);
            co_await s.open();
            note_engine(s);
            save_run r(s.store(), value_, 1);
            r.deadline = clock_type::now() + std::chrono::seconds(secs);
            const double elapsed = co_await timed_saves(r, n);
            const auto stats = s.store().stats();
            co_await s.done();
            const double rate = static_cast<double>(r.saves) / elapsed;
            progress("  %.0f saves/s (%llu syncs)\n", rate,
                     static_cast<unsigned long long>(stats.syncs));
            rows_.push_back(
                {"durable saves, " + std::to_string(n) + " in flight", fixed(rate, 0), "saves/s",
                 "fsync, 1 key/set, " + std::to_string(r.saves) + " saves in " + fixed(elapsed, 2) +
                     " s, " + std::to_string(stats.syncs) + " fdatasyncs"});
            if (fio && *fio > 0) {
                rows_.push_back({"  ratio to fio fdatasync/s", fixed(rate / *fio, 2), "x",
                                 "durable saves/s / fio fdatasync/s"});
                if (n > 1)
                    rows_.push_back({"  ratio to " + std::to_string(n) + " x fio",
                                     fixed(rate / (n * *fio), 2), "x",
                                     "group commit's gain: 1.00 = as if each save had its own "
                                     "fdatasync in parallel"});
            }
        }
    }

    std::optional<double> fio_fdatasync(std::string& why) {
        // fallocate=none: the file grows with each write, as a slab does.
        std::vector<std::string> args{"--directory=" + c_.work.string(),
                                      "--runtime=" + std::to_string(c_.durable_seconds)};
        args.insert(args.end(),
                    {"--name=dsync", "--filename=fio-dsync.dat", "--ioengine=psync", "--rw=write",
                     "--bs=4k", "--fdatasync=1", "--fallocate=none", "--size=256M"});
        auto r = fugu::perf::run_fio(args, why);
        std::error_code ec;
        fs::remove(c_.work / "fio-dsync.dat", ec);
        if (!r) return std::nullopt;
        return r->iops;
    }

    asio::awaitable<void> reads() {
        const std::uint64_t n = c_.read_fill;
        progress("reads: filling %llu keys ...\n", static_cast<unsigned long long>(n));
        scratch_store s(c_, "reads", fugu::durability::os_buffered);
        co_await s.open();
        save_run fill(s.store(), value_, fill_set_keys);
        fill.key_budget = n;
        const double fill_secs = co_await timed_saves(fill, fill_in_flight);
        progress("  filled in %.2f s\n", fill_secs);
        co_await s.close();
        const auto t0 = clock_type::now();
        co_await s.open();
        const double reopen = seconds_since(t0);
        note_engine(s);
        progress("  reopened in %.2f s\n", reopen);
        auto snap = co_await s.store().async_snapshot(asio::use_awaitable);
        if (snap.size() != n) throw std::runtime_error("the reopened store lost keys");
        for (unsigned in_flight : some_in_flight) {
            progress("reads: %llu random reads through one snapshot, %u in flight ...\n",
                     static_cast<unsigned long long>(c_.reads), in_flight);
            read_run r(snap, n, c_.reads);
            const auto t1 = clock_type::now();
            const std::function<asio::awaitable<void>(unsigned)> make = [&](unsigned w) {
                return read_worker(r, w);
            };
            co_await all_of(in_flight, make);
            const double secs = seconds_since(t1);
            const double rate = static_cast<double>(r.done) / secs;
            progress("  %.0f reads/s\n", rate);
            rows_.push_back({"point reads, " + std::to_string(in_flight) + " in flight",
                             fixed(rate, 0), "reads/s",
                             std::to_string(r.done) + " reads of " + std::to_string(n) +
                                 " keys after reopen (" + fixed(reopen, 2) +
                                 " s), one snapshot, slabs likely in page cache"});
        }
        snap = fugu::snapshot();
        co_await s.done();
    }

    // Shared by the coroutines of one read run.
    struct read_run {
        read_run(const fugu::snapshot& s, std::uint64_t k, std::uint64_t b)
            : snap(&s), keys(k), budget(b) {}

        const fugu::snapshot* snap;
        std::uint64_t keys;    // reads pick indices below this
        std::uint64_t budget;  // reads to start in all
        std::uint64_t started = 0;
        std::uint64_t done = 0;
    };

    asio::awaitable<void> read_worker(read_run& r, unsigned worker) {
        std::mt19937_64 rng(worker + 1);
        while (r.started < r.budget) {
            ++r.started;
            const auto key = key_of(rng() % r.keys);
            auto v = co_await r.snap->async_read(std::string_view(key.data(), key.size()),
                                                 asio::use_awaitable);
            // Not a timing check: a wrong answer means the figure measures the wrong thing.
            if (!v || *v != value_) throw std::runtime_error("a read returned the wrong value");
            ++r.done;
        }
    }

    asio::awaitable<void> index(std::uint64_t n) {
        progress("index: filling %llu random keys (8-byte values, sets of %zu) ...\n",
                 static_cast<unsigned long long>(n), fill_set_keys);
        scratch_store s(c_, "index-" + std::to_string(n), fugu::durability::os_buffered);
        co_await s.open();
        note_engine(s);
        ::malloc_trim(0);
        const std::uint64_t rss_before = rss_bytes();
        save_run fill(s.store(), std::string_view(value_).substr(0, index_value_size),
                      fill_set_keys);
        fill.key_budget = n;
        if (n >= 5'000'000) fill.progress_every = 1'000'000;
        const double secs = co_await timed_saves(fill, fill_in_flight);
        // Every change set has been acknowledged and freed by now; trim so that freed
        // batch memory the allocator still caches does not count.
        ::malloc_trim(0);
        const std::uint64_t rss_after = rss_bytes();
        const auto stats = s.store().stats();
        co_await s.done();
        const double keys = static_cast<double>(n);
        const double rss_per_key =
            (static_cast<double>(rss_after) - static_cast<double>(rss_before) - keys * key_size) /
            keys;
        const double index_per_key = static_cast<double>(stats.index_bytes) / keys;
        progress("  RSS growth - key bytes: %.1f B/key; index_bytes: %.1f B/key (%.2f s)\n",
                 rss_per_key, index_per_key, secs);
        const std::string label = std::to_string(n / 1000) + "k keys";
        const double growth_mib =
            (static_cast<double>(rss_after) - static_cast<double>(rss_before)) / (1 << 20);
        rows_.push_back({"index RAM beyond key, " + label, fixed(rss_per_key, 1), "B/key",
                         "(RSS growth " + fixed(growth_mib, 1) +
                             " MiB - 16 B x keys) / keys; 8-byte values, sets of 1000, " +
                             std::to_string(fill_in_flight) + " in flight, fill " + fixed(secs, 1) +
                             " s"});
        rows_.push_back({"index_bytes per key, " + label, fixed(index_per_key, 1), "B/key",
                         "store.stats().index_bytes / keys (" +
                             std::to_string(stats.index_bytes >> 20) +
                             " MiB); counts the key bytes: " + fixed(index_per_key - key_size, 1) +
                             " B/key beyond the key"});
    }

    const config& c_;
    const std::string value_;
    std::vector<row> rows_;
    std::string engine_;
    std::string engine_note_;
};

std::string mem_total() {
    std::ifstream meminfo("/proc/meminfo");
    std::string line;
    while (std::getline(meminfo, line)) {
        if (line.rfind("MemTotal:", 0) == 0) {
            const auto start = line.find_first_not_of(' ', 9);
            return start == std::string::npos ? line : line.substr(start);
        }
    }
    return "unknown";
}

// The filesystem's name for the common ones, else its statfs magic number.
std::string filesystem_of(const fs::path& p) {
    struct statfs sf {};
    if (::statfs(p.c_str(), &sf) != 0) return "unknown filesystem";
    const auto type = static_cast<unsigned long>(sf.f_type);
    if (type == TMPFS_MAGIC) return "tmpfs";
    if (type == EXT4_SUPER_MAGIC) return "ext2/3/4";
    if (type == XFS_SUPER_MAGIC) return "xfs";
    if (type == BTRFS_SUPER_MAGIC) return "btrfs";
    char buf[48];
    std::snprintf(buf, sizeof buf, "filesystem magic 0x%lx", type);
    return buf;
}

std::string store_defaults() {
    const fugu::options o;
    return "base_slab_size=" + std::to_string(o.base_slab_size >> 10) +
           " KiB, slab_growth=" + fixed(o.slab_growth, 2) +
           ", compaction_threshold=" + fixed(o.compaction_threshold, 2) +
           ", background_compaction=" + (o.background_compaction ? "true" : "false") +
           ", compaction_rate_limit=" + std::to_string(o.compaction_rate_limit) +
           ", max_pending_saves=" + std::to_string(o.max_pending_saves) +
           ", max_group_commit_bytes=" + std::to_string(o.max_group_commit_bytes >> 10) + " KiB";
}

void print_report(const config& c, const bench& b, double total_seconds) {
    struct utsname u {};
    ::uname(&u);
    std::printf("fugu-store-bench%s\n", c.quick ? " --quick" : "");
    std::printf("machine:    %ld CPUs (nproc), MemTotal %s, %s %s %s\n",
                ::sysconf(_SC_NPROCESSORS_ONLN), mem_total().c_str(), u.sysname, u.release,
                u.machine);
    std::printf("directory:  %s (%s; removed)\n", c.work.c_str(), c.filesystem.c_str());
    std::printf("I/O engine: %s (requested %s)%s%s\n", b.engine().c_str(), c.engine_name.c_str(),
                b.engine_note().empty() ? "" : "; ", b.engine_note().c_str());
    std::printf("data:       16-byte keys, 100-byte values (8-byte values in the index rows)\n");
    std::printf(
        "store:      durability per row, io_engine=%s, other options at their defaults:\n"
        "            %s\n",
        c.engine_name.c_str(), store_defaults().c_str());
    std::printf("threads:    one io_context thread runs the store and every coroutine\n");
    std::printf("\n%-34s %12s %-8s %s\n", "workload", "result", "unit", "details");
    for (const row& r : b.rows())
        std::printf("%-34s %12s %-8s %s\n", r.workload.c_str(), r.result.c_str(), r.unit.c_str(),
                    r.detail.c_str());
    std::printf("\ntotal run time %.0f s\n", total_seconds);
}

int run(config& c) {
    fs::create_directories(c.base);
    std::string tmpl = (fs::absolute(c.base) / "fugu-store-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("cannot create a directory in " + c.base.string());
    c.work = tmpl;
    c.filesystem = filesystem_of(c.work);
    if (c.filesystem == "tmpfs")
        progress(
            "warning: %s is on tmpfs, where fdatasync is free: the durable figures say "
            "nothing about a disk; use --dir on a real filesystem\n",
            c.work.c_str());

    const auto t0 = clock_type::now();
    bench b(c);
    asio::io_context ctx;
    std::exception_ptr error;
    asio::co_spawn(ctx, b.run(), [&](std::exception_ptr e) { error = e; });
    ctx.run();
    fs::remove_all(c.work);
    if (error) std::rethrow_exception(error);
    print_report(c, b, seconds_since(t0));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    auto c = parse(argc, argv);
    if (!c) {
        usage(argv[0]);
        return 2;
    }
    try {
        return run(*c);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fugu-store-bench: %s\n", e.what());
        if (!c->work.empty()) {
            std::error_code ec;
            fs::remove_all(c->work, ec);
        }
        return 1;
    }
}
