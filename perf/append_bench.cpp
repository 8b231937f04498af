// SPDX-License-Identifier: MIT
// fugu-append-bench: how fast each I/O engine appends to a slab-like file, next to what
// fio gets from the same disk in the same run. Two workloads: 1 MiB appends without
// fdatasync (one sync at the end, MB/s), and 4 KiB appends each made durable by a write
// linked to an fdatasync (ops/s). Both issue one request at a time, like fio's psync.
#include "fio_job.hpp"
#include "record_blocks.hpp"

#include "io/async_io.hpp"
#include "io/io_engine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using fugu::detail::io_engine;

namespace {

using clock_type = std::chrono::steady_clock;

struct config {
    fs::path dir;
    bool own_dir = true;   // made by us under the current directory, removed at the end
    unsigned seconds = 5;  // time limit of each workload's write loop
    std::uint64_t seq_bytes = std::uint64_t{512} << 20;
    std::uint64_t sync_bytes = std::uint64_t{256} << 20;  // cap on the durable workload
};

void usage(const char* argv0) {
    std::printf(
        "usage: %s [--dir DIR] [--seconds N] [--quick]\n"
        "\n"
        "Appends record-like blocks to a file through each Fugu I/O engine, and runs fio\n"
        "on the same directory for comparison:\n"
        "  1 MiB appends without fdatasync, one sync at the end (MB/s)\n"
        "  4 KiB appends, each a write linked to an fdatasync (ops/s)\n"
        "\n"
        "  --dir DIR     where the test files go. Default: a new directory under the\n"
        "                current one, removed afterwards. Not /tmp: it is often tmpfs,\n"
        "                where fdatasync costs nothing and the durable figures mean nothing.\n"
        "  --seconds N   time limit of each workload (default 5)\n"
        "  --quick       64 MiB instead of 512 MiB, 1 second per workload unless --seconds\n"
        "\n"
        "Without fio on PATH it prints its own figures only.\n",
        argv0);
}

std::optional<config> parse(int argc, char** argv) {
    config c;
    bool seconds_given = false;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(argv[0]);
            std::exit(0);
        } else if (a == "--dir" && i + 1 < argc) {
            c.dir = argv[++i];
            c.own_dir = false;
        } else if (a == "--seconds" && i + 1 < argc) {
            char* end = nullptr;
            unsigned long v = std::strtoul(argv[++i], &end, 10);
            if (!end || *end || v == 0 || v > 3600) return std::nullopt;
            c.seconds = static_cast<unsigned>(v);
            seconds_given = true;
        } else if (a == "--quick") {
            quick = true;
        } else {
            return std::nullopt;
        }
    }
    if (quick) {
        c.seq_bytes = std::uint64_t{64} << 20;
        c.sync_bytes = std::uint64_t{64} << 20;
        if (!seconds_given) c.seconds = 1;
    }
    return c;
}

// A fresh file for one workload; removed by the caller.
int create_file(const fs::path& p) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw std::runtime_error("cannot create " + p.string() + ": " + std::strerror(errno));
    return fd;
}

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// 1 MiB appends until `limit` bytes or the time limit, then one fdatasync, timed as a
// whole (fio's end_fsync is inside its figure too). Returns MB/s.
asio::awaitable<double> sequential(io_engine& e, int fd, const config& c) {
    const auto block = fugu::perf::record_blocks(std::size_t{1} << 20, 1);
    const auto t0 = clock_type::now();
    std::uint64_t off = 0;
    while (off < c.seq_bytes && seconds_since(t0) < c.seconds) {
        co_await fugu::detail::async_write(e, fd, off, block, false, asio::use_awaitable);
        off += block.size();
    }
    co_await fugu::detail::async_sync(e, fd, asio::use_awaitable);
    co_return static_cast<double>(off) / seconds_since(t0) / 1e6;
}

// 4 KiB appends, each linked to an fdatasync, for the time limit. Returns ops/s.
asio::awaitable<double> durable(io_engine& e, int fd, const config& c) {
    const auto block = fugu::perf::record_blocks(4096, 2);
    const auto t0 = clock_type::now();
    std::uint64_t off = 0;
    std::uint64_t ops = 0;
    while (off < c.sync_bytes && seconds_since(t0) < c.seconds) {
        co_await fugu::detail::async_write(e, fd, off, block, true, asio::use_awaitable);
        off += block.size();
        ++ops;
    }
    co_return static_cast<double>(ops) / seconds_since(t0);
}

using workload = asio::awaitable<double> (*)(io_engine&, int, const config&);

double run_workload(fugu::io_engine kind, workload w, const fs::path& file, const config& c) {
    asio::io_context ctx;
    auto choice = fugu::detail::make_io_engine(ctx.get_executor(), kind);
    if (!choice.engine) throw std::runtime_error(choice.note);
    int fd = create_file(file);
    std::optional<double> result;
    std::exception_ptr error;
    asio::co_spawn(ctx, w(*choice.engine, fd, c), [&](std::exception_ptr e, double v) {
        error = e;
        if (!e) result = v;
    });
    ctx.run();
    ::close(fd);
    fs::remove(file);
    if (error) std::rethrow_exception(error);
    return *result;
}

struct row {
    std::string engine;
    std::string workload;
    std::string unit;
    double fugu = 0;
    std::optional<double> fio;
};

std::optional<double> fio_figure(const config& c, bool sync, std::string& why) {
    std::vector<std::string> args{"--directory=" + c.dir.string(), "--ioengine=psync", "--rw=write",
                                  "--fallocate=none",  // append and grow the file, as a slab does
                                  "--runtime=" + std::to_string(c.seconds)};
    if (sync) {
        args.insert(args.end(), {"--name=dsync", "--filename=fio-dsync.dat", "--bs=4k",
                                 "--fdatasync=1", "--size=" + std::to_string(c.sync_bytes)});
    } else {
        args.insert(args.end(), {"--name=seq", "--filename=fio-seq.dat", "--bs=1M", "--end_fsync=1",
                                 "--size=" + std::to_string(c.seq_bytes)});
    }
    auto r = fugu::perf::run_fio(args, why);
    std::error_code ec;
    fs::remove(c.dir / (sync ? "fio-dsync.dat" : "fio-seq.dat"), ec);
    if (!r) return std::nullopt;
    return sync ? r->iops : r->bytes_per_second / 1e6;
}

void print_table(const std::vector<row>& rows) {
    std::printf("\n%-9s %-34s %14s %14s %7s\n", "engine", "workload", "fugu", "fio", "ratio");
    for (const row& r : rows) {
        std::string fio =
            r.fio ? std::to_string(static_cast<long long>(std::llround(*r.fio))) + " " + r.unit
                  : "-";
        std::string ratio = "-";
        if (r.fio && *r.fio > 0) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.2f", r.fugu / *r.fio);
            ratio = buf;
        }
        std::string fugu =
            std::to_string(static_cast<long long>(std::llround(r.fugu))) + " " + r.unit;
        std::printf("%-9s %-34s %14s %14s %7s\n", r.engine.c_str(), r.workload.c_str(),
                    fugu.c_str(), fio.c_str(), ratio.c_str());
    }
}

int run(config& c) {
    if (c.own_dir) {
        std::string tmpl = (fs::current_path() / "fugu-append-bench-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a directory here");
        c.dir = tmpl;
    } else {
        fs::create_directories(c.dir);
    }
    std::printf("fugu-append-bench: directory %s, %u s per workload, %llu MiB sequential\n",
                c.dir.c_str(), c.seconds, static_cast<unsigned long long>(c.seq_bytes >> 20));
    if (struct statfs sf{}; ::statfs(c.dir.c_str(), &sf) == 0 && sf.f_type == TMPFS_MAGIC) {
        std::printf(
            "warning: %s is on tmpfs, where fdatasync is free: the durable figures "
            "say nothing about a disk; use --dir on a real filesystem\n",
            c.dir.c_str());
    }

    std::vector<row> rows;
    const struct {
        fugu::io_engine kind;
        const char* name;
    } engines[] = {{fugu::io_engine::threads, "threads"}, {fugu::io_engine::io_uring, "io_uring"}};
    for (const auto& eng : engines) {
        try {
            std::printf("[%s] 1 MiB appends, no fdatasync ... ", eng.name);
            std::fflush(stdout);
            double seq = run_workload(eng.kind, sequential, c.dir / "fugu-seq.dat", c);
            std::printf("%.0f MB/s\n[%s] 4 KiB appends + fdatasync ... ", seq, eng.name);
            std::fflush(stdout);
            double dur = run_workload(eng.kind, durable, c.dir / "fugu-dsync.dat", c);
            std::printf("%.0f ops/s\n", dur);
            rows.push_back({eng.name, "1 MiB append, sync at end", "MB/s", seq, std::nullopt});
            rows.push_back({eng.name, "4 KiB append + fdatasync each", "ops/s", dur, std::nullopt});
        } catch (const std::exception& e) {
            std::printf("skipped: %s\n", e.what());
        }
    }

    if (!fugu::perf::fio_available()) {
        std::printf("fio not found on PATH: Fugu's figures only, no ratios\n");
    } else {
        auto announce = [](const char* what, const std::optional<double>& v, const char* unit,
                           const std::string& why) {
            if (v) {
                std::printf("[fio] %s ... %.0f %s\n", what, *v, unit);
            } else {
                std::printf("[fio] %s ... failed: %s\n", what, why.c_str());
            }
            std::fflush(stdout);
        };
        std::printf("[fio] running, %u s per job\n", c.seconds);
        std::fflush(stdout);
        std::string why;
        auto seq = fio_figure(c, false, why);
        announce("1 MiB sequential writes, end_fsync", seq, "MB/s", why);
        auto dur = fio_figure(c, true, why);
        announce("4 KiB writes + fdatasync", dur, "ops/s", why);
        for (row& r : rows) r.fio = r.unit == "MB/s" ? seq : dur;
    }
    print_table(rows);
    if (c.own_dir) fs::remove_all(c.dir);
    return rows.empty() ? 1 : 0;
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
        std::fprintf(stderr, "fugu-append-bench: %s\n", e.what());
        if (c->own_dir && !c->dir.empty()) {
            std::error_code ec;
            fs::remove_all(c->dir, ec);
        }
        return 1;
    }
}
