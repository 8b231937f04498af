// SPDX-License-Identifier: MIT
// kill -9 loop: a real child process (kill9_writer) saves multi-key change sets with many
// saves in flight while compaction runs; this parent kills it at a random moment, reopens
// the store and checks it against what the child reported, outside the store, as
// acknowledged. Figures: no acknowledged change set lost, none partially applied, every
// open succeeds, and the share of kills that landed with a save in flight.
#include "crash/crash_env.hpp"
#include "crash/kill9_workload.hpp"
#include "io/io_engine.hpp"
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace asio = boost::asio;
namespace k9 = fugu::test::kill9;
using model = std::map<std::string, std::string>;

namespace {

using clock_type = std::chrono::steady_clock;

// One run of the child, from spawn to reaped.
struct child_run {
    pid_t pid = -1;
    int reports = -1;  // read end of the report pipe
    bool opened = false;
    std::uint64_t issued = 0, completed = 0;
    std::vector<std::uint64_t> acked;
    std::uint64_t compactions = 0;
    bool exited_early = false;
    std::string partial_message;  // bytes of a report not read whole yet

    // Reads what is there (or waits up to `wait`); false at end of file.
    bool pump(std::chrono::milliseconds wait) {
        pollfd p{reports, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(wait.count()));
        if (r <= 0) return true;
        char buf[4096];
        const ssize_t n = ::read(reports, buf, sizeof buf);
        if (n == 0) return false;
        if (n < 0) return errno == EINTR || errno == EAGAIN;
        partial_message.append(buf, static_cast<std::size_t>(n));
        std::size_t at = 0;
        for (; at + k9::report_size <= partial_message.size(); at += k9::report_size) {
            std::uint64_t stamp = 0;
            std::memcpy(&stamp, partial_message.data() + at + 1, sizeof stamp);
            switch (static_cast<k9::report>(partial_message[at])) {
            case k9::report::opened: opened = true; break;
            case k9::report::issued: ++issued; break;
            case k9::report::acked: ++completed; acked.push_back(stamp); break;
            case k9::report::failed: ++completed; break;
            case k9::report::compacted: compactions = stamp; break;
            }
        }
        partial_message.erase(0, at);
        return true;
    }
};

child_run spawn_writer(const std::string& exe, const std::string& dir, const char* engine,
                       std::uint64_t seed, std::uint64_t first_stamp) {
    int fds[2];
    // Only the parent's end is non-blocking: a child finding the pipe full waits for
    // the parent to drain it.
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    REQUIRE(::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 3);  // dup2 clears close-on-exec
    const std::string s_seed = std::to_string(seed), s_first = std::to_string(first_stamp);
    std::vector<char*> argv{const_cast<char*>(exe.c_str()), const_cast<char*>(dir.c_str()),
                            const_cast<char*>(engine), const_cast<char*>(s_seed.c_str()),
                            const_cast<char*>(s_first.c_str()), nullptr};
    child_run c;
    const int rc = ::posix_spawn(&c.pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    c.reports = fds[0];
    REQUIRE(rc == 0);
    return c;
}

asio::awaitable<model> read_all(fugu::store& st) {
    model out;
    auto snap = co_await st.async_snapshot(asio::use_awaitable);
    for (std::string_view k : snap.keys()) {
        auto v = co_await snap.async_read(k, asio::use_awaitable);
        out.emplace(std::string(k), v.value());
    }
    co_return out;
}

bool uring_available() {
    asio::io_context ctx;
    return fugu::detail::make_io_engine(ctx.get_executor(), fugu::io_engine::io_uring).engine != nullptr;
}

}  // namespace

TEST_CASE("kill -9 at random moments loses no acknowledged change set and applies none in part",
          "[kill9]") {
    const char* exe_env = std::getenv("FUGU_KILL9_WRITER");
    if (!exe_env || !*exe_env) {
        WARN("FUGU_KILL9_WRITER is not set (meson test sets it): kill -9 loop not run");
        return;
    }
    const std::string exe = exe_env;
    const std::uint64_t kills = fugu::test::crash_count(1000, 300);
    const std::uint64_t seed = fugu::test::crash_seed();
    const bool uring = uring_available();
    std::printf("kill9: seed=%llu (FUGU_CRASH_SEED) kills=%llu engines=threads%s\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(kills),
                uring ? ",io_uring" : " (io_uring unavailable)");
    std::mt19937_64 rng(seed);

    fugu::test::temp_dir home("fugu-kill9");
    const std::string dir = (home.path() / "db").string();

    model expected;           // the store after change sets 1..applied
    std::uint64_t applied = 0;
    std::uint64_t in_flight = 0, lost = 0, partial = 0, failed_opens = 0, early_exits = 0;
    std::uint64_t compactions = 0, acknowledged = 0, hung = 0;
    bool stop = false;
    const auto started = clock_type::now();
    clock_type::duration to_first_ack{}, verifying{};

    for (std::uint64_t i = 0; i < kills && !stop; ++i) {
        const bool use_uring = uring && i % 2 == 1;
        const char* engine = use_uring ? "io_uring" : "threads";
        child_run c = spawn_writer(exe, dir, engine, seed, applied + 1);

        // Most kills come a random moment after the first acknowledgement; one in eight
        // comes a random moment after the spawn, so some land in open and recovery.
        const bool from_spawn = rng() % 16 == 0;
        const auto spawned = clock_type::now();
        const auto deadline_wait = clock_type::now() + std::chrono::seconds(20);
        bool alive = true;
        if (!from_spawn) {
            while (alive && c.completed == 0 && clock_type::now() < deadline_wait)
                alive = c.pump(std::chrono::milliseconds(20));
            if (alive && c.completed == 0) ++hung;
        }
        to_first_ack += clock_type::now() - spawned;
        const auto delay = std::chrono::microseconds(rng() % (from_spawn ? 15000 : 12000));
        const auto kill_at = clock_type::now() + delay;
        while (alive && clock_type::now() < kill_at) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - clock_type::now());
            alive = c.pump(std::max(left, std::chrono::milliseconds(0)));
        }
        ::kill(c.pid, SIGKILL);
        int status = 0;
        ::waitpid(c.pid, &status, 0);
        while (c.pump(std::chrono::milliseconds(1000))) {
        }
        ::close(c.reports);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            ++early_exits;
            std::printf("kill %llu: the writer exited on its own, status %d\n",
                        static_cast<unsigned long long>(i), status);
        }
        if (c.issued > c.completed) ++in_flight;
        compactions += c.compactions;
        acknowledged += c.acked.size();

        // Reopen (alternating engines too) and compare with the reports.
        const auto verify_started = clock_type::now();
        struct add_time {
            clock_type::duration& to;
            clock_type::time_point from;
            ~add_time() { to += clock_type::now() - from; }
        } timing{verifying, verify_started};
        asio::io_context ctx;
        fugu::options o;
        o.io_engine = (uring && i % 4 < 2) ? fugu::io_engine::io_uring : fugu::io_engine::threads;
        o.durability = fugu::durability::fsync;
        o.base_slab_size = 64 << 10;
        o.background_compaction = false;
        fugu::test::run_coro(ctx, [&]() -> asio::awaitable<void> {
            fugu::diagnostics diag;
            auto [ec, st] = co_await fugu::store::async_open(ctx.get_executor(), dir, o, diag,
                                                             asio::as_tuple(asio::use_awaitable));
            if (ec) {
                ++failed_opens;
                stop = true;
                FUGU_CRASH_NOTE("kill " << i << " (" << engine << "): reopen failed: " << ec.message()
                                      << ": " << diag.message());
                co_return;
            }
            model got = co_await read_all(st);
            co_await st.async_close(asio::use_awaitable);

            std::uint64_t top = 0;  // the last change set applied
            for (const auto& [k, v] : got) top = std::max(top, k9::stamp_of(v));
            for (auto a : c.acked)
                if (a > top) ++lost;
            if (top < applied) {
                lost += applied - top;
                stop = true;
                FUGU_CRASH_NOTE("kill " << i << ": the store went back from change set " << applied
                                      << " to " << top);
                co_return;
            }
            model want = expected;
            for (std::uint64_t s = applied + 1; s <= top; ++s) k9::apply(want, seed, s);
            if (got != want) {
                std::uint64_t bad = 0;
                for (const auto& [k, v] : want) {
                    auto it = got.find(k);
                    if (it == got.end() || it->second != v) ++bad;
                }
                for (const auto& [k, v] : got)
                    if (!want.count(k)) ++bad;
                ++partial;
                stop = true;
                FUGU_CRASH_NOTE("kill " << i << " (" << engine << "): " << bad
                                      << " keys differ from change sets 1.." << top);
                co_return;
            }
            expected = std::move(want);
            applied = top;
        }());
    }
    const double secs = std::chrono::duration<double>(clock_type::now() - started).count();
    const double share = kills ? 100.0 * static_cast<double>(in_flight) / static_cast<double>(kills) : 0;
    std::printf("kill9: kills=%llu in_flight=%.1f%% lost=%llu partial=%llu failed_opens=%llu "
                "acked=%llu compactions=%llu early_exits=%llu%s seed=%llu time=%.1fs "
                "(avg ms: to first ack %.1f, reopen+check %.1f)\n",
                static_cast<unsigned long long>(kills), share, static_cast<unsigned long long>(lost),
                static_cast<unsigned long long>(partial), static_cast<unsigned long long>(failed_opens),
                static_cast<unsigned long long>(acknowledged), static_cast<unsigned long long>(compactions),
                static_cast<unsigned long long>(early_exits), fugu::test::crash_mode_note().c_str(),
                static_cast<unsigned long long>(seed), secs,
                std::chrono::duration<double, std::milli>(to_first_ack).count() / static_cast<double>(kills),
                std::chrono::duration<double, std::milli>(verifying).count() / static_cast<double>(kills));
    CHECK(lost == 0);
    CHECK(partial == 0);
    CHECK(failed_opens == 0);
    CHECK(early_exits == 0);
    CHECK(hung == 0);
    CHECK(share >= 90.0);
}
