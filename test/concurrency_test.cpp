// SPDX-License-Identifier: MIT
// Snapshot isolation under concurrency: writers on an io_context run by four threads save
// pairs of keys atomically while readers take snapshots and check that (a) every save
// acknowledged before a snapshot was requested is in it, (b) no snapshot shows half of a
// change set, (c) a snapshot's contents never change while it is held. The second case
// does the same with small slabs and compaction forced between a snapshot's reads, so held
// snapshots are read across merges and source deletions. Run under TSan in CI.
#include "support/executor_thread.hpp"
#include "support/run_coro.hpp"
#include "support/store_fixture.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;

namespace {

constexpr int writers = 4;
constexpr int readers = 2;

struct workload {
    int saves_per_writer = 300;
    std::size_t padding = 0;  // bytes appended to every value, to fill slabs quickly
    bool compact_between_reads = false;
};

struct shared_progress {
    std::atomic<int> acked[writers] = {};  // highest round acknowledged per writer
    std::atomic<int> violations{0};
    std::atomic<int> snapshots{0};
};

std::string value_of(int round, std::size_t padding) {
    std::string v = std::to_string(round);
    v.push_back(':');
    v.append(padding, 'p');
    return v;
}

int round_of(const std::optional<std::string>& v) { return v ? std::stoi(*v) : 0; }

asio::awaitable<void> writer(fugu::store& st, int w, const workload& wl, shared_progress& p) {
    for (int round = 1; round <= wl.saves_per_writer; ++round) {
        fugu::change_set c;
        const std::string v = value_of(round, wl.padding);
        c.put("w" + std::to_string(w) + "-a", v);
        c.put("w" + std::to_string(w) + "-b", v);
        if (round % 10 == 0) c.remove("w" + std::to_string(w) + "-gone");
        else c.put("w" + std::to_string(w) + "-gone", v);
        co_await st.async_save(std::move(c), asio::use_awaitable);
        p.acked[w].store(round, std::memory_order_release);
    }
}

asio::awaitable<void> reader(fugu::store& st,
                             const workload& wl,
                             shared_progress& p,
                             std::atomic<int>& writers_done) {
    while (writers_done.load() < writers) {
        int seen_before[writers];
        for (int w = 0; w < writers; ++w) seen_before[w] = p.acked[w].load(std::memory_order_acquire);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        p.snapshots.fetch_add(1);
        int first_a[writers];
        for (int w = 0; w < writers; ++w) {
            const std::string prefix = "w" + std::to_string(w);
            auto a = co_await snap.async_read(prefix + "-a", asio::use_awaitable);
            auto b = co_await snap.async_read(prefix + "-b", asio::use_awaitable);
            first_a[w] = round_of(a);
            if (a != b) p.violations.fetch_add(1);                    // half a change set
            if (first_a[w] < seen_before[w]) p.violations.fetch_add(1);  // read-your-writes
            const bool gone = snap.contains(prefix + "-gone");
            if (first_a[w] > 0 && gone != (first_a[w] % 10 != 0)) p.violations.fetch_add(1);
        }
        // The slabs this snapshot reads may be merged and deleted now; it must not notice.
        if (wl.compact_between_reads) co_await st.async_compact(asio::use_awaitable);
        for (int w = 0; w < writers; ++w) {
            auto a2 = co_await snap.async_read("w" + std::to_string(w) + "-a", asio::use_awaitable);
            if (round_of(a2) != first_a[w]) p.violations.fetch_add(1);
            if (a2 && *a2 != value_of(first_a[w], wl.padding)) p.violations.fetch_add(1);
        }
        std::size_t n = 0;
        for (auto k : snap.keys()) {
            (void)k;
            ++n;
        }
        if (n != snap.size()) p.violations.fetch_add(1);
    }
}

struct outcome {
    bool finished = false;
    fugu::store_stats stats;
};

outcome run_workload(const workload& wl, fugu::options o, shared_progress& progress) {
    fugu::test::store_home home(fugu::test::backing::files);
    asio::io_context ctx(4);
    std::atomic<int> writers_done{0};
    outcome out;
    fugu::store st;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        st = co_await home.open(o);
        auto ex = co_await asio::this_coro::executor;
        auto remaining = std::make_shared<std::atomic<int>>(writers + readers);
        asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
        auto done = [&, remaining](std::exception_ptr e) {
            if (e) progress.violations.fetch_add(1000);
            if (remaining->fetch_sub(1) == 1) asio::post(all_done.get_executor(), [&] { all_done.cancel(); });
        };
        for (int w = 0; w < writers; ++w) {
            auto body = [&st, &wl, &progress, &writers_done, w]() -> asio::awaitable<void> {
                co_await writer(st, w, wl, progress);
                writers_done.fetch_add(1);
            };
            asio::co_spawn(ex, body, done);
        }
        for (int r = 0; r < readers; ++r) {
            auto body = [&]() -> asio::awaitable<void> { co_await reader(st, wl, progress, writers_done); };
            asio::co_spawn(ex, body, done);
        }
        // Condition variable: cancelled once every writer and reader has finished.
        auto [ec] = co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
        out.stats = st.stats();
        co_await st.async_close(asio::use_awaitable);
        out.finished = true;
    }, asio::detached);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back([&] { ctx.run(); });
    for (auto& t : threads) t.join();
    return out;
}

}  // namespace

TEST_CASE("snapshots stay isolated while writers on four threads save", "[concurrency][engine]") {
    fugu::options o;
    o.io_engine = fugu::test::test_engine();
    o.durability = fugu::durability::fsync;
    o.base_slab_size = 64 << 10;
    shared_progress progress;
    const workload wl;
    auto out = run_workload(wl, o, progress);
    REQUIRE(out.finished);
    std::printf("concurrency: snapshots=%d violations=%d\n", progress.snapshots.load(),
                progress.violations.load());
    CHECK(progress.violations == 0);
    CHECK(progress.snapshots > 0);
}

namespace {

// Both compaction cases: ~3 KB a save, so the writers fill a 64 KiB slab every ~20 saves,
// and readers force merges between their reads. `tag` names the figure line.
void check_compactions_under_load(fugu::options o, const char* tag) {
    o.io_engine = fugu::test::test_engine();
    o.durability = fugu::durability::os_buffered;
    o.base_slab_size = 64 << 10;
    o.compaction_threshold = 0.9;
    shared_progress progress;
    workload wl;
    wl.saves_per_writer = 400;
    wl.padding = 1000;
    wl.compact_between_reads = true;
    auto out = run_workload(wl, o, progress);
    REQUIRE(out.finished);
    std::printf("%s: snapshots=%d compactions=%llu violations=%d\n", tag,
                progress.snapshots.load(),
                static_cast<unsigned long long>(out.stats.compactions), progress.violations.load());
    CHECK(progress.violations == 0);
    CHECK(progress.snapshots > 0);
    CHECK(out.stats.compactions > 0);
}

}  // namespace

TEST_CASE("held snapshots read right across compactions on four threads", "[concurrency][engine]") {
    check_compactions_under_load({}, "concurrency+compaction");
}

TEST_CASE("held snapshots read right across compactions run on a thread of their own",
          "[concurrency][engine]") {
    // options::compaction_executor: merges walk the index and read, check and re-encode
    // slabs on another thread while four threads save, read and take snapshots.
    fugu::test::executor_thread compaction;
    fugu::options o;
    o.compaction_executor = compaction.ctx.get_executor();
    check_compactions_under_load(o, "concurrency+compaction thread");
}
