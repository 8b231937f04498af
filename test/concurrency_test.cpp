// SPDX-License-Identifier: MIT
// Snapshot isolation under concurrency: writers on an io_context run by four threads save
// pairs of keys atomically while readers take snapshots and check that (a) every save
// acknowledged before a snapshot was requested is in it, (b) no snapshot shows half of a
// change set, (c) a snapshot's contents never change while it is held. Run under TSan in CI.
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
constexpr int saves_per_writer = 300;
constexpr int readers = 2;

struct shared_progress {
    std::atomic<int> acked[writers] = {};  // highest round acknowledged per writer
    std::atomic<int> violations{0};
    std::atomic<int> snapshots{0};
};

asio::awaitable<void> writer(fugu::store& st, int w, shared_progress& p) {
    for (int round = 1; round <= saves_per_writer; ++round) {
        fugu::change_set c;
        const std::string v = std::to_string(round);
        c.put("w" + std::to_string(w) + "-a", v);
        c.put("w" + std::to_string(w) + "-b", v);
        if (round % 10 == 0) c.remove("w" + std::to_string(w) + "-gone");
        else c.put("w" + std::to_string(w) + "-gone", v);
        co_await st.async_save(std::move(c), asio::use_awaitable);
        p.acked[w].store(round, std::memory_order_release);
    }
}

asio::awaitable<void> reader(fugu::store& st, shared_progress& p, std::atomic<int>& writers_done) {
    while (writers_done.load() < writers) {
        int seen_before[writers];
        for (int w = 0; w < writers; ++w) seen_before[w] = p.acked[w].load(std::memory_order_acquire);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        p.snapshots.fetch_add(1);
        for (int w = 0; w < writers; ++w) {
            const std::string prefix = "w" + std::to_string(w);
            auto a = co_await snap.async_read(prefix + "-a", asio::use_awaitable);
            auto b = co_await snap.async_read(prefix + "-b", asio::use_awaitable);
            const int ra = a ? std::stoi(*a) : 0;
            const int rb = b ? std::stoi(*b) : 0;
            if (ra != rb) p.violations.fetch_add(1);               // half a change set
            if (ra < seen_before[w]) p.violations.fetch_add(1);    // read-your-writes
            // The same snapshot read again later gives the same answer.
            auto a2 = co_await snap.async_read(prefix + "-a", asio::use_awaitable);
            if (a != a2) p.violations.fetch_add(1);
            const bool gone = snap.contains(prefix + "-gone");
            if (ra > 0 && gone != (ra % 10 != 0)) p.violations.fetch_add(1);
        }
        std::size_t n = 0;
        for (auto k : snap.keys()) {
            (void)k;
            ++n;
        }
        if (n != snap.size()) p.violations.fetch_add(1);
    }
}

}  // namespace

TEST_CASE("snapshots stay isolated while writers on four threads save", "[concurrency][engine]") {
    fugu::test::store_home home(fugu::test::backing::files);
    asio::io_context ctx(4);
    shared_progress progress;
    std::atomic<int> writers_done{0};
    std::atomic<bool> finished{false};
    fugu::store st;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        auto o = home.options();
        o.durability = fugu::durability::fsync;
        o.base_slab_size = 64 << 10;
        st = co_await home.open(o);
        auto ex = co_await asio::this_coro::executor;
        auto remaining = std::make_shared<std::atomic<int>>(writers + readers);
        asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
        auto done = [&, remaining](std::exception_ptr e) {
            if (e) progress.violations.fetch_add(1000);
            if (remaining->fetch_sub(1) == 1) asio::post(all_done.get_executor(), [&] { all_done.cancel(); });
        };
        for (int w = 0; w < writers; ++w) {
            auto body = [&st, &progress, &writers_done, w]() -> asio::awaitable<void> {
                co_await writer(st, w, progress);
                writers_done.fetch_add(1);
            };
            asio::co_spawn(ex, body, done);
        }
        for (int r = 0; r < readers; ++r) {
            auto body = [&]() -> asio::awaitable<void> { co_await reader(st, progress, writers_done); };
            asio::co_spawn(ex, body, done);
        }
        // Condition variable: cancelled once every writer and reader has finished.
        auto [ec] = co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
        co_await st.async_close(asio::use_awaitable);
        finished = true;
    }, asio::detached);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back([&] { ctx.run(); });
    for (auto& t : threads) t.join();
    REQUIRE(finished);
    std::printf("concurrency: snapshots=%d violations=%d\n", progress.snapshots.load(),
                progress.violations.load());
    CHECK(progress.violations == 0);
    CHECK(progress.snapshots > 0);
}
