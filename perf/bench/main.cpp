// SPDX-License-Identifier: MIT
// fugu-bench: Fugu side by side with RocksDB, LevelDB and LMDB (those found at build
// time), on the same keys, values, seeds and durability. Each (workload, repetition,
// engine) job runs in a child process of its own, engines alternating within each
// repetition; the parent gathers medians and the ratio Fugu / best peer, and writes JSON
// that perf/report.py turns into docs/perf.md. The jobs that start from a filled store
// (overwrite, the read group) each get a fresh copy of one store per engine filled once
// per run, so no job pays for a fill of 1M keys.
#include "../fio_job.hpp"
#include "store_copy.hpp"
#include "workloads.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <linux/magic.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fb = fugu::bench;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct config {
    fs::path dir = fs::current_path();
    std::optional<fs::path> out;
    bool quick = false;
    std::set<std::string> only;     // workloads; empty = all
    std::set<std::string> engines;  // empty = all built
    fb::sizes z;
    std::optional<unsigned> reps;
    bool fio = true;
    std::string command;
};

void usage(const char* argv0) {
    std::printf(
        "usage: %s [--dir DIR] [--out FILE.json] [--quick] [--reps N]\n"
        "          [--only WORKLOAD]... [--engine NAME]... [--no-fio]\n"
        "\n"
        "  --dir DIR        stores and fio files go in a new directory inside DIR (removed at\n"
        "                   the end). Put it on the disk under test, not on tmpfs.\n"
        "  --out FILE       write every run, the medians and ratios as JSON (perf/report.py)\n"
        "  --quick          tiny sizes, one repetition: proves that everything runs\n"
        "  --reps N         repetitions per workload (default 3)\n"
        "  --only W         run only workload W (repeatable); the read group runs together\n"
        "  --engine E       fugu, rocksdb, leveldb, lmdb (repeatable; default: all built)\n"
        "  --no-fio         skip the fio figures\n",
        argv0);
}

std::vector<std::string> built_engines() {
    std::vector<std::string> v{"fugu"};
#if FUGU_BENCH_HAVE_ROCKSDB
    v.push_back("rocksdb");
#endif
#if FUGU_BENCH_HAVE_LEVELDB
    v.push_back("leveldb");
#endif
#if FUGU_BENCH_HAVE_LMDB
    v.push_back("lmdb");
#endif
    return v;
}

std::unique_ptr<fb::engine> make_engine(const std::string& name) {
    if (name == "fugu") return fb::make_fugu();
#if FUGU_BENCH_HAVE_ROCKSDB
    if (name == "rocksdb") return fb::make_rocksdb();
#endif
#if FUGU_BENCH_HAVE_LEVELDB
    if (name == "leveldb") return fb::make_leveldb();
#endif
#if FUGU_BENCH_HAVE_LMDB
    if (name == "lmdb") return fb::make_lmdb();
#endif
    throw std::runtime_error("engine not built: " + name);
}

// Runs `job` in a child process; its JSON result comes back through a pipe.
json::value in_child(const std::function<json::value()>& job) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::close(fds[0]);
        json::value v;
        int rc = 0;
        try {
            v = job();
        } catch (const std::exception& e) {
            v = json::object{{"error", e.what()}};
            rc = 1;
        }
        const std::string s = json::serialize(v);
        std::size_t off = 0;
        while (off < s.size()) {
            const ssize_t n = ::write(fds[1], s.data() + off, s.size() - off);
            if (n <= 0) break;
            off += static_cast<std::size_t>(n);
        }
        ::close(fds[1]);
        std::fflush(nullptr);
        ::_exit(rc);
    }
    ::close(fds[1]);
    std::string s;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0) {
            s.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (s.empty())
        return json::object{{"error", "the job died (status " + std::to_string(status) + ")"}};
    return json::parse(s);
}

std::string read_first(const char* path, const char* prefix) {
    std::ifstream f(path);
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(prefix, 0) == 0) {
            auto p = line.find(':');
            auto v = p == std::string::npos ? line : line.substr(p + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    return "unknown";
}

std::string filesystem_of(const fs::path& p) {
    struct statfs sf {};
    if (::statfs(p.c_str(), &sf) != 0) return "unknown";
    switch (static_cast<unsigned long>(sf.f_type)) {
    case TMPFS_MAGIC: return "tmpfs";
    case EXT4_SUPER_MAGIC: return "ext4";
    case XFS_SUPER_MAGIC: return "xfs";
    case BTRFS_SUPER_MAGIC: return "btrfs";
    default: {
        char b[32];
        std::snprintf(b, sizeof b, "0x%lx", static_cast<unsigned long>(sf.f_type));
        return b;
    }
    }
}

// The device the directory is on, from /proc/self/mountinfo, and what sysfs says of it.
json::object disk_of(const fs::path& p) {
    std::ifstream f("/proc/self/mountinfo");
    std::string line, best_mount, best_dev;
    const std::string path = fs::canonical(p).string();
    while (std::getline(f, line)) {
        std::istringstream in(line);
        std::string id, parent, majmin, root, mount, field;
        in >> id >> parent >> majmin >> root >> mount;
        while (in >> field && field != "-") {
        }
        std::string type, source;
        in >> type >> source;
        if (path.rfind(mount, 0) == 0 && mount.size() >= best_mount.size()) {
            best_mount = mount;
            best_dev = source;
        }
    }
    json::object o{{"mount", best_mount}, {"device", best_dev}, {"filesystem", filesystem_of(p)}};
    const std::string dev = fs::path(best_dev).filename().string();
    std::ifstream rot("/sys/block/" + dev + "/queue/rotational");
    int r = -1;
    if (rot >> r) o["rotational"] = r == 1;
    std::ifstream sz("/sys/block/" + dev + "/size");
    std::uint64_t sectors = 0;
    if (sz >> sectors) o["size_gb"] = static_cast<double>(sectors) * 512 / 1e9;
    return o;
}

json::object machine(const fs::path& dir) {
    struct utsname u {};
    ::uname(&u);
    return {{"cpu", read_first("/proc/cpuinfo", "model name")},
            {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
            {"mem_total", read_first("/proc/meminfo", "MemTotal")},
            {"kernel", std::string(u.sysname) + " " + u.release + " " + u.machine},
            {"disk", disk_of(dir)}};
}

json::object run_fio(const fs::path& dir, bool quick) {
    json::object o;
    if (!fugu::perf::fio_available()) {
        o["error"] = "fio not found on PATH";
        return o;
    }
    std::string why;
    const std::string d = "--directory=" + dir.string();
    std::fprintf(stderr, "fio: sequential write, 1 MiB blocks ...\n");
    auto seq = fugu::perf::run_fio({d, "--name=seqwrite", "--filename=fio-seq.dat",
                                    "--ioengine=psync", "--rw=write", "--bs=1m",
                                    quick ? "--size=16M" : "--size=1G", "--end_fsync=1",
                                    "--fallocate=none"}, why);
    fs::remove(dir / "fio-seq.dat");
    if (seq) {
        o["seq_write_mb_s"] = seq->bytes_per_second / 1e6;
    } else {
        o["seq_write_error"] = why;
    }
    std::fprintf(stderr, "fio: 4 KiB write + fdatasync ...\n");
    auto ds = fugu::perf::run_fio({d, "--name=dsync", "--filename=fio-dsync.dat",
                                   "--ioengine=psync", "--rw=write", "--bs=4k", "--fdatasync=1",
                                   "--fallocate=none", "--size=256M", "--time_based=0",
                                   quick ? "--runtime=1" : "--runtime=5"}, why);
    fs::remove(dir / "fio-dsync.dat");
    if (ds) {
        o["fdatasync_per_s"] = ds->iops;
    } else {
        o["fdatasync_error"] = why;
    }
    o["seq_write_job"] = "psync, write, bs=1m, size=" + std::string(quick ? "16M" : "1G") +
                         ", end_fsync=1, fallocate=none";
    o["fdatasync_job"] = "psync, write, bs=4k, fdatasync=1, fallocate=none, " +
                         std::string(quick ? "1" : "5") + " s";
    return o;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run(config& c) {
    fs::create_directories(c.dir);
    std::string tmpl = (fs::absolute(c.dir) / "fugu-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a directory in " + c.dir.string());
    const fs::path work = tmpl;
    if (filesystem_of(work) == "tmpfs")
        std::fprintf(stderr, "warning: %s is on tmpfs: durable figures mean nothing there\n",
                     work.c_str());
    const auto t_start = fb::clock_type::now();

    std::vector<std::string> engines;
    for (const auto& e : built_engines())
        if (c.engines.empty() || c.engines.count(e)) engines.push_back(e);

    json::object doc;
    doc["command"] = c.command;
    doc["quick"] = c.quick;
    doc["repetitions"] = c.z.reps;
    doc["machine"] = machine(work);
    doc["sizes"] = {{"keys", c.z.keys},         {"overwrites", c.z.overwrites},
                    {"reads", c.z.reads},       {"ycsb_ops", c.z.ycsb_ops},
                    {"large_values", c.z.large_values}, {"sync_seconds", c.z.sync_seconds},
                    {"rww_seconds", c.z.rww_seconds},   {"rww_write_rate", c.z.rww_write_rate},
                    {"write_cap_seconds", c.z.write_cap_seconds},
                    {"overwrite_cap_seconds", c.z.overwrite_cap_seconds},
                    {"read_cap_seconds", c.z.read_cap_seconds},
                    {"key_bytes", 16},          {"value_bytes", 100}};
    json::object opts;
    for (const auto& e : engines) {
        auto eng = make_engine(e);
        opts[e] = {{"buffered", eng->options(false)}, {"durable", eng->options(true)}};
    }
    doc["engines"] = opts;
    // fio runs right before the durable workloads, so the disk's figures and the durable
    // figures come from the same minute of a shared machine.
    bool fio_done = !c.fio;

    const std::function<bool(const std::string&)> wanted = [&](const std::string& w) {
        return c.only.empty() || c.only.count(w) != 0;
    };
    // runs[workload][engine] = results of each repetition
    std::map<std::string, std::map<std::string, json::array>> runs;
    bool failed = false;
    auto note = [&](const std::string& w, const std::string& e, unsigned rep, const json::value& r) {
        if (r.as_object().contains("error")) {
            failed = true;
            std::fprintf(stderr, "  %-16s %-8s rep %u: FAILED: %s\n", w.c_str(), e.c_str(), rep,
                         json::serialize(r.at("error")).c_str());
        } else {
            std::fprintf(stderr, "  %-16s %-8s rep %u: %12.1f\n", w.c_str(), e.c_str(), rep,
                         r.at("value").to_number<double>());
        }
        json::object o = r.as_object();
        o["repetition"] = rep;
        runs[w][e].push_back(std::move(o));
    };
    const auto seconds_since = [](fb::clock_type::time_point t0) {
        return std::chrono::duration<double>(fb::clock_type::now() - t0).count();
    };
    // One store per engine filled with sizes::keys keys, made on first need and kept to the
    // end of the run. Each job that starts from a filled store runs on a fresh copy of it;
    // the fill and the copy happen outside the job's timed part.
    std::map<std::string, fs::path> filled;
    json::object fills;
    double copy_total = 0;
    bool fills_done = false;
    auto fill_stores = [&]() {
        if (fills_done) return;
        fills_done = true;
        std::fprintf(stderr, "filled stores: %llu keys per engine, copied for every job that needs one\n",
                     static_cast<unsigned long long>(c.z.keys));
        for (const auto& e : engines) {
            const fs::path dir = work / ("filled-" + e);
            const auto t0 = fb::clock_type::now();
            json::value r = in_child([&]() -> json::value {
                auto eng = make_engine(e);
                return fb::fill_store(*eng, dir, c.z);
            });
            r.as_object()["wall_seconds"] = seconds_since(t0);
            if (r.as_object().contains("error")) {
                failed = true;
                std::fprintf(stderr, "  fill %-8s FAILED: %s\n", e.c_str(),
                             json::serialize(r.at("error")).c_str());
            } else {
                filled[e] = dir;
                std::fprintf(stderr, "  fill %-8s %6.1f s\n", e.c_str(), r.at("wall_seconds").as_double());
            }
            fills[e] = std::move(r);
        }
    };
    // Copies e's filled store to `dir`; the seconds it took, or nothing when there is none.
    auto copy_filled = [&](const std::string& e, const fs::path& dir) -> std::optional<double> {
        fill_stores();
        if (!filled.count(e)) return std::nullopt;
        const auto t0 = fb::clock_type::now();
        fb::copy_store(filled[e], dir);
        const double secs = seconds_since(t0);
        copy_total += secs;
        return secs;
    };
    const json::object no_filled_store{{"error", "no filled store: its fill failed"}};

    auto rotated = [&](unsigned rep) {
        std::vector<std::string> v = engines;
        std::rotate(v.begin(), v.begin() + (rep % v.size()), v.end());
        return v;
    };

    for (const auto& w : fb::workloads()) {
        if (w.read_group || !wanted(w.name)) continue;
        if (!fio_done && w.durable) {
            doc["fio"] = run_fio(work, c.quick);
            fio_done = true;
        }
        std::fprintf(stderr, "%s: %s\n", w.name.c_str(), w.what.c_str());
        for (unsigned rep = 0; rep < c.z.reps; ++rep)
            for (const auto& e : rotated(rep)) {
                const fs::path dir = work / (w.name + "-" + e);
                std::optional<double> copied;
                if (fb::needs_filled_store(w.name)) {
                    copied = copy_filled(e, dir);
                    if (!copied) {
                        note(w.name, e, rep, no_filled_store);
                        continue;
                    }
                }
                const auto t0 = fb::clock_type::now();
                json::value r = in_child([&]() -> json::value {
                    auto eng = make_engine(e);
                    return fb::run_write_job(*eng, w.name, dir, c.z);
                });
                r.as_object()["job_wall_seconds"] = seconds_since(t0);
                if (copied) r.as_object()["copy_seconds"] = *copied;
                fs::remove_all(dir);
                note(w.name, e, rep, r);
            }
    }
    if (!fio_done) doc["fio"] = run_fio(work, c.quick);
    bool any_read = false;
    for (const auto& w : fb::workloads()) any_read = any_read || (w.read_group && wanted(w.name));
    if (any_read) {
        fill_stores();
        std::fprintf(stderr, "read group: a copy of the filled store, reopen, then the read workloads\n");
        for (unsigned rep = 0; rep < c.z.reps; ++rep)
            for (const auto& e : rotated(rep)) {
                const fs::path dir = work / ("read-" + e);
                const std::optional<double> copied = copy_filled(e, dir);
                json::value r = no_filled_store;
                if (copied) {
                    const auto t0 = fb::clock_type::now();
                    r = in_child([&]() -> json::value {
                        auto eng = make_engine(e);
                        return fb::run_read_job(*eng, dir, c.z, wanted);
                    });
                    r.as_object()["job_wall_seconds"] = seconds_since(t0);
                    r.as_object()["copy_seconds"] = *copied;
                    if (fills.contains(e) && fills[e].as_object().contains("fill_seconds"))
                        r.as_object()["fill_seconds"] = fills[e].at("fill_seconds");
                }
                fs::remove_all(dir);
                if (r.as_object().contains("error")) {
                    for (const auto& w : fb::workloads())
                        if (w.read_group) note(w.name, e, rep, r);
                    continue;
                }
                json::object fill_info = r.as_object();
                json::object per = fill_info["workloads"].as_object();
                fill_info.erase("workloads");
                for (auto& [name, res] : per) {
                    json::object o = res.as_object();
                    o["store"] = fill_info;
                    note(std::string(name), e, rep, o);
                }
            }
    }
    fs::remove_all(work);

    // Medians and ratios.
    json::array table;
    std::printf("\n%-18s %-10s", "workload", "unit");
    for (const auto& e : engines) std::printf(" %12s", e.c_str());
    std::printf(" %8s\n", "ratio");
    for (const auto& w : fb::workloads()) {
        if (!runs.count(w.name)) continue;
        json::object row{{"workload", w.name}, {"group", w.group}, {"metric", w.metric},
                         {"unit", w.unit}, {"higher_better", w.higher_better},
                         {"durable", w.durable}, {"what", w.what}};
        json::object med;
        std::printf("%-18s %-10s", w.name.c_str(), w.unit.c_str());
        for (const auto& e : engines) {
            std::vector<double> v;
            for (const auto& r : runs[w.name][e])
                if (!r.as_object().contains("error")) v.push_back(r.at("value").to_number<double>());
            if (v.empty()) {
                std::printf(" %12s", "-");
                continue;
            }
            med[e] = median(v);
            std::printf(" %12.1f", median(v));
        }
        std::optional<std::string> best;
        for (const auto& e : engines) {
            if (e == "fugu" || !med.contains(e)) continue;
            const double v = med[e].as_double();
            if (!best || (w.higher_better ? v > med[*best].as_double() : v < med[*best].as_double()))
                best = e;
        }
        if (best && med.contains("fugu")) {
            const double f = med["fugu"].as_double(), p = med[*best].as_double();
            const double ratio = w.higher_better ? f / p : p / f;
            row["best_peer"] = *best;
            row["ratio"] = ratio;
            std::printf(" %8.2f (vs %s)", ratio, best->c_str());
        }
        if (med.contains("fugu") && med.contains("lmdb") && w.group == "read") {
            row["ratio_vs_lmdb"] = med["fugu"].as_double() / med["lmdb"].as_double();
        }
        std::printf("\n");
        row["median"] = med;
        json::object rr;
        for (auto& [e, a] : runs[w.name]) rr[e] = a;
        row["runs"] = rr;
        table.push_back(std::move(row));
    }
    doc["workloads"] = table;
    std::printf("\noptions (buffered runs; durable runs differ as shown in the JSON):\n");
    for (const auto& e : engines)
        std::printf("  %-8s %s\n", e.c_str(), json::serialize(opts[e].at("buffered")).c_str());
    const double total = seconds_since(t_start);
    doc["total_seconds"] = total;
    // Where the wall time went besides the jobs themselves (each job's own wall time,
    // open and close included, is its job_wall_seconds).
    doc["filled_stores"] = fills;
    doc["copy_seconds"] = copy_total;
    std::printf("\ntotal %.0f s (%.1f minutes; copies of the filled stores %.0f s)\n", total,
                total / 60, copy_total);
    if (c.out) {
        std::ofstream f(*c.out);
        f << json::serialize(doc) << "\n";
        if (!f) throw std::runtime_error("cannot write " + c.out->string());
        std::fprintf(stderr, "wrote %s\n", c.out->c_str());
    }
    return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    config c;
    for (int i = 0; i < argc; ++i) {
        if (i) c.command += ' ';
        c.command += argv[i];
    }
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto need = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage(argv[0]);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--dir") {
            c.dir = need();
        } else if (a == "--out") {
            c.out = need();
        } else if (a == "--quick") {
            c.quick = true;
        } else if (a == "--reps") {
            c.reps = static_cast<unsigned>(std::stoul(need()));
        } else if (a == "--only") {
            c.only.insert(need());
        } else if (a == "--engine") {
            c.engines.insert(need());
        } else if (a == "--no-fio") {
            c.fio = false;
        } else {
            usage(argv[0]);
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    if (c.quick) c.z = fb::quick_sizes();
    if (c.reps) c.z.reps = std::max(1u, *c.reps);
    try {
        return run(c);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fugu-bench: %s\n", e.what());
        return 1;
    }
}
