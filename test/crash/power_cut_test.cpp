// SPDX-License-Identifier: MIT
// Power cut at every I/O step of a short workload with several saves in flight (group
// commit) and slab rotations, under each crash image (unsynced bytes dropped, kept, or
// torn). After reopening: the open succeeds, the contents equal the first k change sets
// for some k (nothing partial, no hole), and k covers every acknowledged save.
#include "support/fault_storage.hpp"
#include "support/run_coro.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace asio = boost::asio;
using fugu::test::crash_mode;
using fugu::test::fault_storage;
using model = std::map<std::string, std::string>;

namespace {

struct workload {
    std::vector<fugu::change_set> sets;
    std::vector<model> after;  // after[k]: contents once the first k sets are applied
};

workload make_workload(std::uint32_t seed, int count) {
    std::mt19937 rng(seed);
    workload w;
    model m;
    w.after.push_back(m);
    for (int i = 0; i < count; ++i) {
        fugu::change_set c;
        const int n = 1 + static_cast<int>(rng() % 5);
        std::map<std::string, bool> used;
        for (int j = 0; j < n; ++j) {
            std::string k = "key" + std::to_string(rng() % 12);
            if (used[k]) continue;
            used[k] = true;
            if (rng() % 4 == 0) {
                c.remove(k);
                m.erase(k);
            } else {
                std::string v(200 + rng() % 3000, static_cast<char>('a' + i % 26));
                c.put(k, v);
                m[k] = v;
            }
        }
        w.sets.push_back(std::move(c));
        w.after.push_back(m);
    }
    return w;
}

// Saves every change set, `in_flight` at a time, in order; returns the highest index
// (1-based) of an acknowledged save, or 0.
asio::awaitable<std::size_t> run_workload(fugu::store& st, const workload& w, std::size_t in_flight) {
    std::size_t acked = 0;
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    for (std::size_t i = 0; i < w.sets.size(); i += in_flight) {
        std::size_t pending = 0;
        for (std::size_t j = i; j < std::min(w.sets.size(), i + in_flight); ++j) {
            ++pending;
            fugu::change_set copy = w.sets[j];
            st.async_save(std::move(copy), asio::bind_executor(ex, [&, j](fugu::error_code ec, std::uint64_t) {
                if (!ec) acked = std::max(acked, j + 1);
                if (--pending == 0) all_done.cancel();
            }));
        }
        // The timer is a condition variable here: cancelled when the last save completes.
        auto [ec] = co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
        all_done.expires_at(asio::steady_timer::time_point::max());
    }
    co_return acked;
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

fugu::options crash_options() {
    fugu::options o;
    o.durability = fugu::durability::fsync;
    o.base_slab_size = 64 << 10;  // several rotations in the workload
    return o;
}

}  // namespace

TEST_CASE("a power cut at any I/O step loses no acknowledged save and leaves no partial one",
          "[crash]") {
    const workload w = make_workload(7, 60);
    // A clean run counts the operations to cut at.
    std::uint64_t total_ops = 0;
    {
        asio::io_context ctx;
        auto storage = std::make_shared<fault_storage>(ctx.get_executor());
        fugu::test::run_coro(ctx, [&]() -> asio::awaitable<void> {
            auto st = co_await fugu::store::async_open(ctx.get_executor(), storage, crash_options(),
                                                       asio::use_awaitable);
            auto acked = co_await run_workload(st, w, 4);
            CHECK(acked == w.sets.size());
            co_await st.async_close(asio::use_awaitable);
        }());
        total_ops = storage->op_count();
    }
    REQUIRE(total_ops > 20);

    std::size_t states = 0, failed_opens = 0, violations = 0;
    for (std::uint64_t cut = 1; cut <= total_ops + 1; ++cut) {
        for (auto mode : {crash_mode::drop, crash_mode::tear, crash_mode::keep}) {
            asio::io_context ctx;
            auto storage = std::make_shared<fault_storage>(ctx.get_executor());
            storage->power_cut_at(cut);
            std::size_t acked = 0;
            fugu::test::run_coro(ctx, [&]() -> asio::awaitable<void> {
                auto [ec, st] = co_await fugu::store::async_open(
                    ctx.get_executor(), storage, crash_options(), asio::as_tuple(asio::use_awaitable));
                if (ec) co_return;  // the cut came during the first open
                acked = co_await run_workload(st, w, 4);
                co_await st.async_close(asio::use_awaitable);
            }());
            auto image = storage->crash_image(mode, cut);
            ++states;
            fugu::test::run_coro(ctx, [&]() -> asio::awaitable<void> {
                fugu::diagnostics diag;
                auto [ec, st] = co_await fugu::store::async_open(
                    ctx.get_executor(), image, crash_options(), diag, asio::as_tuple(asio::use_awaitable));
                if (ec) {
                    ++failed_opens;
                    UNSCOPED_INFO("cut " << cut << ": reopen failed: " << ec.message() << " "
                                         << diag.message());
                    co_return;
                }
                auto got = co_await read_all(st);
                bool ok = false;
                for (std::size_t k = acked; k < w.after.size() && !ok; ++k) ok = got == w.after[k];
                if (!ok) {
                    ++violations;
                    UNSCOPED_INFO("cut " << cut << " mode " << static_cast<int>(mode) << ": recovered "
                                         << got.size() << " keys matching no prefix >= " << acked);
                }
                co_await st.async_close(asio::use_awaitable);
            }());
        }
    }
    std::printf("crash states=%zu failed_opens=%zu violations=%zu\n", states, failed_opens, violations);
    CHECK(failed_opens == 0);
    CHECK(violations == 0);
}
