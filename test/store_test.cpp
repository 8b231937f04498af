// SPDX-License-Identifier: MIT
// The store through its public API: saves, snapshots, reads, key listing, reopen, and
// the model test against std::map, on memory storage and (tag [engine]) on files through
// each I/O engine.
#include "support/run_coro.hpp"
#include "support/store_fixture.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace asio = boost::asio;
using fugu::test::backing;
using fugu::test::run_coro;
using fugu::test::store_home;

namespace {

asio::awaitable<std::map<std::string, std::string>> read_all(fugu::store& st) {
    std::map<std::string, std::string> out;
    auto snap = co_await st.async_snapshot(asio::use_awaitable);
    for (std::string_view k : snap.keys()) {
        auto v = co_await snap.async_read(k, asio::use_awaitable);
        REQUIRE(v.has_value());
        out.emplace(std::string(k), std::move(*v));
    }
    co_return out;
}

void basic_round_trip(backing b) {
    store_home home(b);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto st = co_await home.open();
        fugu::change_set c;
        c.put("foo", std::string(10, '\0'));
        c.put("bar", "");
        c.remove("baz");
        auto seq = co_await st.async_save(std::move(c), asio::use_awaitable);
        CHECK(seq >= 1);

        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        CHECK(snap.sequence() >= seq);
        CHECK(snap.contains("bar"));
        CHECK_FALSE(snap.contains("baz"));
        auto foo = co_await snap.async_read("foo", asio::use_awaitable);
        REQUIRE(foo);
        CHECK(*foo == std::string(10, '\0'));
        auto bar = co_await snap.async_read("bar", asio::use_awaitable);
        REQUIRE(bar);
        CHECK(bar->empty());
        CHECK_FALSE((co_await snap.async_read("baz", asio::use_awaitable)).has_value());
        std::vector<std::string> keys;
        for (auto k : snap.keys()) keys.emplace_back(k);
        CHECK(keys == std::vector<std::string>{"bar", "foo"});
        keys.clear();
        for (auto k : snap.keys_from("c")) keys.emplace_back(k);
        CHECK(keys == std::vector<std::string>{"foo"});
        co_await st.async_close(asio::use_awaitable);

        auto again = co_await home.open();
        auto all = co_await read_all(again);
        CHECK(all.size() == 2);
        CHECK(all["foo"] == std::string(10, '\0'));
        fugu::change_set next;
        next.put("x", "y");
        auto seq2 = co_await again.async_save(std::move(next), asio::use_awaitable);
        CHECK(seq2 > seq);  // sequence numbers keep increasing across restarts
        co_await again.async_close(asio::use_awaitable);
    });
}

// 10,000 random puts, removes and multi-key change sets against std::map, reopening
// every few hundred operations; snapshots are compared in full after each reopen.
void model_test(backing b, std::uint32_t seed) {
    store_home home(b);
    std::mt19937 rng(seed);
    std::map<std::string, std::string> model;
    auto key = [&] {
        std::string k = "k" + std::to_string(rng() % 500);
        if (rng() % 8 == 0) k.push_back('\0');
        return k;
    };
    auto value = [&] {
        std::string v(rng() % 64, 'a');
        for (auto& ch : v) ch = static_cast<char>(rng());
        return v;
    };
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto opts = home.options();
        opts.base_slab_size = 64 << 10;  // many slab rotations
        auto st = co_await home.open(opts);
        int ops = 0;
        while (ops < 10'000) {
            fugu::change_set c;
            std::map<std::string, std::optional<std::string>> effect;
            const int n = rng() % 4 == 0 ? 1 + static_cast<int>(rng() % 20) : 1;
            for (int i = 0; i < n; ++i, ++ops) {
                auto k = key();
                if (effect.count(k)) continue;
                if (rng() % 3 == 0) {
                    c.remove(k);
                    effect[k] = std::nullopt;
                } else {
                    auto v = value();
                    c.put(k, v);
                    effect[k] = v;
                }
            }
            co_await st.async_save(std::move(c), asio::use_awaitable);
            for (auto& [k, v] : effect) {
                if (v) model[k] = *v;
                else model.erase(k);
            }
            if (ops % 400 < n) {
                co_await st.async_close(asio::use_awaitable);
                st = co_await home.open(opts);
                auto all = co_await read_all(st);
                REQUIRE(all == model);
            }
        }
        auto all = co_await read_all(st);
        REQUIRE(all == model);
        co_await st.async_close(asio::use_awaitable);
    });
}

}  // namespace

TEST_CASE("a saved change set is readable through snapshots and after reopen (memory)", "[store]") {
    basic_round_trip(backing::memory);
}

TEST_CASE("a saved change set is readable through snapshots and after reopen (files)", "[store][engine]") {
    basic_round_trip(backing::files);
}

TEST_CASE("random operations match a std::map across reopens (memory)", "[store][model]") {
    model_test(backing::memory, 1);
}

TEST_CASE("random operations match a std::map across reopens (files)", "[store][model][engine]") {
    model_test(backing::files, 2);
}

TEST_CASE("a snapshot keeps its values and keys while later saves change them", "[store]") {
    store_home home(backing::memory);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto st = co_await home.open();
        fugu::change_set c;
        for (int i = 0; i < 100; ++i) c.put("key" + std::to_string(i), "old" + std::to_string(i));
        co_await st.async_save(std::move(c), asio::use_awaitable);
        auto before = co_await st.async_snapshot(asio::use_awaitable);

        for (int i = 0; i < 100; i += 2) {
            fugu::change_set d;
            d.put("key" + std::to_string(i), "new");
            d.remove("key" + std::to_string(i + 1));
            co_await st.async_save(std::move(d), asio::use_awaitable);
        }
        auto after = co_await st.async_snapshot(asio::use_awaitable);
        CHECK(before.size() == 100);
        CHECK(after.size() == 50);
        CHECK(after.sequence() > before.sequence());
        for (int i = 0; i < 100; ++i) {
            auto k = "key" + std::to_string(i);
            auto old = co_await before.async_read(k, asio::use_awaitable);
            REQUIRE(old);
            CHECK(*old == "old" + std::to_string(i));
            auto now = co_await after.async_read(k, asio::use_awaitable);
            if (i % 2 == 0) {
                REQUIRE(now);
                CHECK(*now == "new");
            } else {
                CHECK_FALSE(now);
            }
        }
        std::size_t n = 0;
        for (auto k : before.keys()) {
            (void)k;
            ++n;
        }
        CHECK(n == 100);
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("operations on an empty or closed store complete with store_closed", "[store]") {
    store_home home(backing::memory);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::store empty;
        CHECK_FALSE(empty.is_open());
        fugu::change_set c;
        c.put("a", "b");
        auto [ec, seq] = co_await empty.async_save(std::move(c), asio::as_tuple(asio::use_awaitable));
        CHECK(ec == fugu::errc::store_closed);
        (void)seq;

        auto st = co_await home.open();
        co_await st.async_close(asio::use_awaitable);
        CHECK_FALSE(st.is_open());
        fugu::change_set d;
        d.put("a", "b");
        auto [ec2, seq2] = co_await st.async_save(std::move(d), asio::as_tuple(asio::use_awaitable));
        CHECK(ec2 == fugu::errc::store_closed);
        (void)seq2;
        auto [ec3, snap] = co_await st.async_snapshot(asio::as_tuple(asio::use_awaitable));
        CHECK(ec3 == fugu::errc::store_closed);
        CHECK_FALSE(snap.valid());
        auto [ec4, v] = co_await st.async_get("a", asio::as_tuple(asio::use_awaitable));
        CHECK(ec4 == fugu::errc::store_closed);
        CHECK_FALSE(v);
        co_await st.async_close(asio::use_awaitable);  // closing twice is harmless
    });
}

TEST_CASE("a second opener of the same storage gets store_locked", "[store]") {
    store_home home(backing::memory);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto st = co_await home.open();
        auto ex = co_await asio::this_coro::executor;
        (void)ex;
        bool threw = false;
        try {
            auto second = co_await home.open();
        } catch (const boost::system::system_error& e) {
            threw = true;
            CHECK(e.code() == fugu::errc::store_locked);
        }
        CHECK(threw);
        co_await st.async_close(asio::use_awaitable);
        auto third = co_await home.open();  // free again after close
        CHECK(third.is_open());
        co_await third.async_close(asio::use_awaitable);
    });
}

TEST_CASE("a second opener of the same directory gets store_locked", "[store][engine]") {
    store_home home(backing::files);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto st = co_await home.open();
        auto ex = co_await asio::this_coro::executor;
        auto [ec, second] = co_await fugu::store::async_open(
            ex, home.directory(), home.options(), asio::as_tuple(asio::use_awaitable));
        CHECK(ec == fugu::errc::store_locked);
        CHECK_FALSE(second.is_open());
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("every completion token kind works", "[store]") {
    store_home home(backing::memory);
    asio::io_context ctx;
    fugu::store st;
    // Plain callback.
    fugu::store::async_open(ctx.get_executor(), std::make_shared<fugu::memory_storage>(),
                            fugu::options{}, [&](fugu::error_code ec, fugu::store s) {
                                REQUIRE_FALSE(ec);
                                st = std::move(s);
                            });
    ctx.run_one();
    while (!st.is_open() && ctx.run_one()) {
    }
    REQUIRE(st.is_open());

    // use_future from another thread while the context runs here.
    std::thread t([&] {
        fugu::change_set c;
        c.put("k", "v");
        auto f = st.async_save(std::move(c), asio::use_future);
        CHECK(f.get() >= 1);
        auto g = st.async_get("k", asio::use_future);
        auto v = g.get();
        REQUIRE(v);
        CHECK(*v == "v");
        auto closed = st.async_close(asio::use_future);
        closed.get();
    });
    auto guard = asio::make_work_guard(ctx);
    std::thread runner([&] { ctx.run(); });
    t.join();
    guard.reset();
    runner.join();

    // deferred (the default token) and as_tuple inside a coroutine.
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto storage = std::make_shared<fugu::memory_storage>();
        fugu::store s2 = co_await fugu::store::async_open(ex, storage, fugu::options{});
        fugu::change_set c;
        c.put("a", "1");
        auto seq = co_await s2.async_save(std::move(c));
        CHECK(seq >= 1);
        auto [ec, v] = co_await s2.async_get("a", asio::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec);
        REQUIRE(v);
        CHECK(*v == "1");
        co_await s2.async_close();
    });
}

TEST_CASE("every acknowledged save is in the next snapshot, with many saves in flight", "[store]") {
    // The index publishes versions lazily under a stream of saves; a snapshot asked for
    // after a save completed must still see it, and keys() and contains() must agree.
    store_home home(backing::memory);
    run_coro([&](asio::io_context& io) -> asio::awaitable<void> {
        auto st = co_await home.open();
        constexpr int writers = 32, rounds = 60;
        int finished = 0, missing = 0;
        asio::steady_timer all_done(io, std::chrono::steady_clock::time_point::max());
        for (int w = 0; w < writers; ++w) {
            asio::co_spawn(io, [&, w]() -> asio::awaitable<void> {
                for (int r = 0; r < rounds; ++r) {
                    const std::string key = "w" + std::to_string(w) + "-" + std::to_string(r);
                    fugu::change_set c;
                    c.put(key, std::to_string(r));
                    co_await st.async_save(std::move(c), asio::use_awaitable);
                    // Every few saves only: the others let unpublished changes pile up.
                    if (r % 7 != 3) continue;
                    auto snap = co_await st.async_snapshot(asio::use_awaitable);
                    auto v = co_await snap.async_read(key, asio::use_awaitable);
                    if (v != std::to_string(r) || !snap.contains(key)) ++missing;
                }
                if (++finished == writers) all_done.cancel();
            }, asio::detached);
        }
        co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
        CHECK(missing == 0);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        std::size_t n = 0;
        for ([[maybe_unused]] std::string_view k : snap.keys()) ++n;
        CHECK(n == writers * rounds);
        CHECK(st.stats().keys == writers * rounds);
        co_await st.async_close(asio::use_awaitable);
    });
}
