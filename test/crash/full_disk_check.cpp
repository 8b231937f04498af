// SPDX-License-Identifier: MIT
// A real full disk: mounts a 1.5 MiB tmpfs, fills it with saves until one fails, and
// checks that the failing save says "no space" promptly, that every acknowledged change
// set reads back before and after reopening, and that a compaction with no room to write
// changes no file. Run once per I/O engine. Exits 77 (skip), saying why, where tmpfs
// cannot be mounted (not root, or no CAP_SYS_ADMIN).
#include "crash/kill9_workload.hpp"
#include "io/io_engine.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <cstring>
#include <exception>
#include <string>

#include <sys/mount.h>
#include <unistd.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using model = std::map<std::string, std::string>;

namespace {

int failures = 0;
#define EXPECT(cond, ...)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            ++failures;                                                     \
            std::printf("FAILED %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
            std::printf(__VA_ARGS__);                                       \
            std::printf("\n");                                              \
        }                                                                   \
    } while (0)

struct mount_guard {
    std::string dir;
    bool mounted = false;
    ~mount_guard() {
        if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
        if (!dir.empty()) ::rmdir(dir.c_str());
    }
};

// Names and contents of the slab files: what "changes nothing" compares.
std::map<std::string, std::size_t> directory_picture(const fs::path& dir) {
    std::map<std::string, std::size_t> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::ifstream in(e.path(), std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        out[e.path().filename().string()] = std::hash<std::string>{}(bytes);
    }
    return out;
}

template <class T>
T run(asio::io_context& ctx, asio::awaitable<T> aw) {
    std::optional<T> v;
    std::exception_ptr error;
    asio::co_spawn(ctx, std::move(aw), [&](std::exception_ptr e, T r) {
        error = e;
        if (!e) v.emplace(std::move(r));
    });
    ctx.restart();
    ctx.run();
    if (error) std::rethrow_exception(error);
    return std::move(*v);
}

asio::awaitable<model> read_all(fugu::store& st, std::size_t& read_errors) {
    model out;
    auto snap = co_await st.async_snapshot(asio::use_awaitable);
    for (std::string_view k : snap.keys()) {
        auto [ec, v] = co_await snap.async_read(k, asio::as_tuple(asio::use_awaitable));
        if (ec || !v) {
            ++read_errors;
            continue;
        }
        out.emplace(std::string(k), *v);
    }
    co_return out;
}

struct figures {
    std::size_t acked = 0, unreadable_before = 0, unreadable_after = 0, compaction_changes = 0;
    std::string error;
    double fail_ms = 0;
};

figures fill_and_check(const fs::path& mnt, fugu::io_engine engine, const char* engine_name) {
    figures f;
    const fs::path db = mnt / (std::string("db-") + engine_name);
    fugu::options o;
    o.io_engine = engine;
    o.durability = fugu::durability::fsync;
    o.base_slab_size = 64 << 10;
    o.background_compaction = false;  // the compaction below is the one under test

    asio::io_context ctx;
    model acked;  // what acknowledged saves left
    run(ctx, [&]() -> asio::awaitable<int> {
        fugu::diagnostics diag;
        auto [oec, st] = co_await fugu::store::async_open(ctx.get_executor(), db.string(), o, diag,
                                                          asio::as_tuple(asio::use_awaitable));
        EXPECT(!oec, "open on the empty tmpfs failed: %s %s", oec.message().c_str(), diag.message().c_str());
        if (oec) co_return 0;
        // Saves of about 10 KiB until one fails: the disk holds about 150 of them.
        for (std::uint64_t stamp = 1; stamp < 100000; ++stamp) {
            fugu::change_set c;
            model next = acked;
            for (int k = 0; k < 3; ++k) {
                const std::string key = "key-" + std::to_string((stamp * 3 + static_cast<std::uint64_t>(k)) % 400);
                std::string v = "stamp=" + std::to_string(stamp) + " ";
                v.resize(3400, static_cast<char>('a' + stamp % 26));
                c.put(key, v);
                next[key] = v;
            }
            const auto t0 = std::chrono::steady_clock::now();
            auto [ec, seq] = co_await st.async_save(std::move(c), diag, asio::as_tuple(asio::use_awaitable));
            if (ec) {
                f.fail_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
                f.error = ec.message();
                EXPECT(ec == boost::system::errc::no_space_on_device,
                       "the failing save says %s (%s), not no space", ec.message().c_str(),
                       diag.message().c_str());
                EXPECT(f.fail_ms < 1000, "the failing save took %.0f ms", f.fail_ms);
                break;
            }
            acked = std::move(next);
            ++f.acked;
        }
        EXPECT(!f.error.empty(), "the disk never filled");
        // A later save fails too, with a clear error.
        fugu::change_set more;
        more.put("after", "x");
        auto [ec2, s2] = co_await st.async_save(std::move(more), asio::as_tuple(asio::use_awaitable));
        EXPECT(ec2, "a save after the disk filled succeeded");

        auto got = co_await read_all(st, f.unreadable_before);
        EXPECT(got == acked && f.unreadable_before == 0,
               "before reopen: %zu keys read, %zu expected, %zu read errors", got.size(), acked.size(),
               f.unreadable_before);

        // Compaction with no room to write its output changes nothing.
        const auto before = directory_picture(db);
        auto [cec] = co_await st.async_compact(asio::as_tuple(asio::use_awaitable));
        (void)cec;
        const auto after = directory_picture(db);
        if (before != after) ++f.compaction_changes;
        EXPECT(before == after, "compaction under ENOSPC changed the directory (%zu files before, %zu after)",
               before.size(), after.size());
        std::size_t errs = 0;
        auto got2 = co_await read_all(st, errs);
        EXPECT(got2 == acked && errs == 0, "after the failed compaction: %zu keys, %zu expected", got2.size(),
               acked.size());
        co_await st.async_close(asio::use_awaitable);

        // Reopen on the still full disk.
        auto [rec, again] = co_await fugu::store::async_open(ctx.get_executor(), db.string(), o, diag,
                                                             asio::as_tuple(asio::use_awaitable));
        EXPECT(!rec, "reopen on the full disk failed: %s %s", rec.message().c_str(), diag.message().c_str());
        if (!rec) {
            auto got3 = co_await read_all(again, f.unreadable_after);
            EXPECT(got3 == acked && f.unreadable_after == 0,
                   "after reopen: %zu keys read, %zu expected, %zu read errors", got3.size(), acked.size(),
                   f.unreadable_after);
            co_await again.async_close(asio::use_awaitable);
        }
        co_return 0;
    }());
    return f;
}

}  // namespace

int main() {
    if (::geteuid() != 0) {
        std::printf("SKIP: mounting a tmpfs needs root\n");
        return 77;
    }
    const char* base = std::getenv("TMPDIR");
    mount_guard m;
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/fugu-full-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
        std::printf("SKIP: mkdtemp failed\n");
        return 77;
    }
    m.dir = tmpl;
    if (::mount("tmpfs", m.dir.c_str(), "tmpfs", 0, "size=1536k,mode=0700") != 0) {
        std::printf("SKIP: mounting a tmpfs is not permitted here: %s\n", std::strerror(errno));
        return 77;
    }
    m.mounted = true;

    asio::io_context probe;
    const bool uring =
        fugu::detail::make_io_engine(probe.get_executor(), fugu::io_engine::io_uring).engine != nullptr;
    const auto started = std::chrono::steady_clock::now();
    std::size_t acked = 0, unreadable = 0, changes = 0, runs = 0;
    double worst_ms = 0;
    std::string errors;
    for (auto [engine, name] : {std::pair{fugu::io_engine::threads, "threads"},
                                std::pair{fugu::io_engine::io_uring, "io_uring"}}) {
        if (engine == fugu::io_engine::io_uring && !uring) continue;
        // Each engine gets the whole disk.
        for (const auto& e : fs::directory_iterator(m.dir)) fs::remove_all(e.path());
        figures f;
        try {
            f = fill_and_check(m.dir, engine, name);
        } catch (const std::exception& e) {  // unwind, so the tmpfs is unmounted
            EXPECT(false, "%s: exception: %s", name, e.what());
        }
        ++runs;
        acked += f.acked;
        unreadable += f.unreadable_before + f.unreadable_after;
        changes += f.compaction_changes;
        worst_ms = std::max(worst_ms, f.fail_ms);
        errors += std::string(errors.empty() ? "" : "; ") + name + ": " + f.error;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("full_disk: engines=%zu acked=%zu unreadable=%zu compaction_changes=%zu "
                "failing_save_ms=%.1f error=\"%s\" failures=%d time=%.1fs\n",
                runs, acked, unreadable, changes, worst_ms, errors.c_str(), failures, secs);
    return failures ? 1 : 0;
}
