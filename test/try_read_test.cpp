// SPDX-License-Identifier: MIT
// The non-blocking reads, snapshot::try_read and store::try_get: they agree with the
// async reads over a workload with removes, compaction and a reopen; they say
// errc::would_block, never a stale or partial answer, when the value needs the I/O engine
// or the newest version lags; memory_storage answers them from RAM; closed handles,
// oversized keys and damaged bytes get the same errors as the async reads; try_get from
// a thread of its own during saves never misses one acknowledged before it started.
#include "support/run_coro.hpp"
#include "support/slab_files.hpp"
#include "support/temp_dir.hpp"
#include "support/test_engine.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using fugu::test::run_coro;
using model = std::map<std::string, std::string>;

std::string key_of(int i) {
    char k[17];
    std::snprintf(k, sizeof k, "%016d", i);
    return k;
}

std::string value_of(int i, int round) {
    return "value-" + std::to_string(round) + "-" + key_of(i) + std::string(300 + i % 700, 'a' + i % 26);
}

fugu::options small_slabs() {
    fugu::options o;
    o.io_engine = fugu::test::test_engine();
    o.durability = fugu::durability::os_buffered;
    o.base_slab_size = 64 << 10;
    o.slab_growth = 1.5;
    o.compaction_threshold = 0.7;
    return o;
}

std::optional<std::string> expected(const model& m, const std::string& k) {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
}

struct tally {
    int answered = 0;
    int would_block = 0;
};

// A try_ call's result: it either agrees with the model (as the async call must) or says
// would_block with no value.
void check_try(const std::optional<std::string>& now, fugu::error_code ec,
               const std::optional<std::string>& want, tally& t) {
    if (ec == fugu::errc::would_block) {
        CHECK_FALSE(now.has_value());
        ++t.would_block;
    } else {
        REQUIRE_FALSE(ec);
        CHECK(now == want);
        ++t.answered;
    }
}

// Every key of the model's range through try_read and async_read.
asio::awaitable<void> check_snapshot(const fugu::snapshot& snap, const model& m, int keys, tally& t) {
    for (int i = 0; i < keys; ++i) {
        const auto k = key_of(i);
        const auto want = expected(m, k);
        fugu::error_code ec;
        auto now = snap.try_read(k, ec);
        check_try(now, ec, want, t);
        auto later = co_await snap.async_read(k, asio::use_awaitable);
        CHECK(later == want);
    }
}

// One key through try_get and async_get, right after a save completed.
asio::awaitable<void> check_get(fugu::store& st, const model& m, const std::string& k, tally& t) {
    const auto want = expected(m, k);
    fugu::error_code ec;
    auto now = st.try_get(k, ec);
    check_try(now, ec, want, t);
    auto later = co_await st.async_get(k, asio::use_awaitable);
    CHECK(later == want);
}

// Random puts and removes in change sets of up to 8 keys, each checked through try_get
// (which must cover the save just completed) and async_get.
asio::awaitable<void> workload(fugu::store& st, model& m, int keys, int saves, std::mt19937& rng,
                               tally& t) {
    for (int s = 0; s < saves; ++s) {
        fugu::change_set c;
        std::vector<int> touched;
        const int n = 1 + static_cast<int>(rng() % 8);
        for (int j = 0; j < n; ++j) {
            const int i = static_cast<int>(rng() % static_cast<unsigned>(keys));
            if (std::find(touched.begin(), touched.end(), i) != touched.end()) continue;
            touched.push_back(i);
            if (rng() % 4 == 0) {
                c.remove(key_of(i));
                m.erase(key_of(i));
            } else {
                c.put(key_of(i), value_of(i, s));
                m[key_of(i)] = value_of(i, s);
            }
        }
        co_await st.async_save(std::move(c), asio::use_awaitable);
        for (int i : touched) co_await check_get(st, m, key_of(i), t);
    }
}

}  // namespace

TEST_CASE("try_read and try_get agree with the async reads, through compaction and reopen",
          "[store][try_read][engine]") {
    fugu::test::temp_dir dir;
    const fs::path db = dir.path() / "db";
    constexpr int keys = 300;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        std::mt19937 rng(20261202);
        model m;
        tally gets, reads;
        {
            auto st = co_await fugu::store::async_open(ex, db.string(), small_slabs(), asio::use_awaitable);
            co_await workload(st, m, keys, 400, rng, gets);
            auto snap = co_await st.async_snapshot(asio::use_awaitable);
            const model at_snap = m;
            co_await workload(st, m, keys, 200, rng, gets);
            co_await st.async_compact(asio::use_awaitable);
            // The held snapshot still answers as of its sequence; the store as of now.
            co_await check_snapshot(snap, at_snap, keys, reads);
            auto fresh = co_await st.async_snapshot(asio::use_awaitable);
            co_await check_snapshot(fresh, m, keys, reads);
            co_await st.async_close(asio::use_awaitable);
        }
        // Reopened: every slab is complete on disk, so every value is mapped and every
        // try_ call answers.
        auto st = co_await fugu::store::async_open(ex, db.string(), small_slabs(), asio::use_awaitable);
        tally reopened;
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        co_await check_snapshot(snap, m, keys, reopened);
        for (int i = 0; i < keys; ++i) co_await check_get(st, m, key_of(i), reopened);
        CHECK(reopened.answered == 2 * keys);
        CHECK(reopened.would_block == 0);
        // Before the reopen most reads were answered too (the newest bytes of the slab
        // being written wait for its next map).
        CHECK(gets.answered + reads.answered > 0);
        UNSCOPED_INFO("before reopen: try_get answered " << gets.answered << ", would_block "
                      << gets.would_block << "; try_read answered " << reads.answered
                      << ", would_block " << reads.would_block);
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("memory_storage answers try_read and try_get from RAM", "[store][try_read]") {
    auto mem = std::make_shared<fugu::memory_storage>();
    constexpr int keys = 200;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        std::mt19937 rng(7);
        model m;
        tally t;
        fugu::options o;
        o.base_slab_size = 64 << 10;
        {
            auto st = co_await fugu::store::async_open(ex, mem, o, asio::use_awaitable);
            co_await workload(st, m, keys, 300, rng, t);
            co_await st.async_close(asio::use_awaitable);
        }
        auto st = co_await fugu::store::async_open(ex, mem, o, asio::use_awaitable);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        co_await check_snapshot(snap, m, keys, t);
        // No engine, nothing to wait for: only a lagging version could block try_get, and
        // a snapshot never blocks.
        CHECK(t.answered > 0);
        tally after;
        co_await check_snapshot(snap, m, keys, after);
        CHECK(after.would_block == 0);
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("with mapped_reads off, try_read says would_block for present keys",
          "[store][try_read][engine]") {
    fugu::test::temp_dir dir;
    const fs::path db = dir.path() / "db";
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        fugu::options o = small_slabs();
        o.mapped_reads = false;
        auto st = co_await fugu::store::async_open(ex, db.string(), o, asio::use_awaitable);
        fugu::change_set c;
        for (int i = 0; i < 50; ++i) c.put(key_of(i), value_of(i, 0));
        co_await st.async_save(std::move(c), asio::use_awaitable);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        for (int i = 0; i < 50; ++i) {
            fugu::error_code ec;
            CHECK_FALSE(snap.try_read(key_of(i), ec).has_value());
            CHECK(ec == fugu::errc::would_block);
            fugu::error_code ec2;
            CHECK_FALSE(st.try_get(key_of(i), ec2).has_value());
            CHECK(ec2 == fugu::errc::would_block);
            // The async read, the fallback, serves it.
            auto v = co_await snap.async_read(key_of(i), asio::use_awaitable);
            CHECK(v == value_of(i, 0));
        }
        // Absence is known from the index alone: answered, no I/O needed.
        fugu::error_code ec;
        CHECK_FALSE(snap.try_read("absent", ec).has_value());
        CHECK_FALSE(ec);
        CHECK_FALSE(st.try_get("absent", ec).has_value());
        CHECK_FALSE(ec);
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("try_ reads on empty or closed handles get store_closed; oversized keys key_too_large",
          "[store][try_read]") {
    auto mem = std::make_shared<fugu::memory_storage>();
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        fugu::error_code ec;
        CHECK_FALSE(fugu::store{}.try_get("k", ec).has_value());
        CHECK(ec == fugu::errc::store_closed);
        ec = {};
        CHECK_FALSE(fugu::snapshot{}.try_read("k", ec).has_value());
        CHECK(ec == fugu::errc::store_closed);

        auto st = co_await fugu::store::async_open(ex, mem, fugu::options{}, asio::use_awaitable);
        fugu::change_set c;
        c.put("k", "v");
        co_await st.async_save(std::move(c), asio::use_awaitable);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);

        const std::string huge(fugu::max_key_size + 1, 'k');
        ec = {};
        CHECK_FALSE(st.try_get(huge, ec).has_value());
        CHECK(ec == fugu::errc::key_too_large);
        ec = {};
        CHECK_FALSE(snap.try_read(huge, ec).has_value());
        CHECK(ec == fugu::errc::key_too_large);
        auto [aec, av] = co_await snap.async_read(huge, asio::as_tuple(asio::use_awaitable));
        CHECK(aec == fugu::errc::key_too_large);
        CHECK_FALSE(av.has_value());
        // The longest allowed key is an ordinary absent key.
        ec = {};
        CHECK_FALSE(st.try_get(std::string(fugu::max_key_size, 'k'), ec).has_value());
        CHECK_FALSE(ec);
        CHECK(st.try_get("k", ec) == std::optional<std::string>("v"));
        CHECK_FALSE(ec);

        co_await st.async_close(asio::use_awaitable);
        CHECK_FALSE(st.try_get("k", ec).has_value());
        CHECK(ec == fugu::errc::store_closed);
        ec = {};
        CHECK_FALSE(snap.try_read("k", ec).has_value());
        CHECK(ec == fugu::errc::store_closed);
    });
}

TEST_CASE("try_read reports a damaged mapped value as corruption, never returns it",
          "[store][try_read][engine]") {
    fugu::test::temp_dir dir;
    const fs::path db = dir.path() / "db";
    constexpr int n = 200;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        {
            auto st = co_await fugu::store::async_open(ex, db.string(), small_slabs(), asio::use_awaitable);
            for (int i = 0; i < n; i += 10) {
                fugu::change_set c;
                for (int j = i; j < i + 10; ++j) c.put(key_of(j), value_of(j, 0));
                co_await st.async_save(std::move(c), asio::use_awaitable);
            }
            co_await st.async_close(asio::use_awaitable);
        }
        auto st = co_await fugu::store::async_open(ex, db.string(), small_slabs(), asio::use_awaitable);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        const int victim = 3;
        {
            fugu::error_code ec;
            REQUIRE(snap.try_read(key_of(victim), ec) == value_of(victim, 0));  // maps the slab
        }
        // Flip one byte of the victim's value in the file, under the live map.
        const fs::path file = fugu::test::slab_files(db).at(0);
        const auto at = fugu::test::flip_byte_after(file, value_of(victim, 0).substr(0, 30), 100);
        for (int pass = 0; pass < 2; ++pass) {
            fugu::diagnostics diag;
            fugu::error_code ec;
            auto v = pass == 0 ? snap.try_read(key_of(victim), diag, ec)
                               : st.try_get(key_of(victim), diag, ec);
            CHECK(ec == fugu::errc::corruption);
            CHECK_FALSE(v.has_value());
            CHECK(diag.file() == file.string());
            CHECK(diag.offset() <= at);
            CHECK(diag.offset() + 1100 > at);
        }
        fugu::error_code ec;
        CHECK(snap.try_read(key_of(victim + 1), ec) == value_of(victim + 1, 0));
        CHECK_FALSE(ec);
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("try_get from another thread during saves never misses a completed save",
          "[store][try_read][concurrency]") {
    auto mem = std::make_shared<fugu::memory_storage>();
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto st = co_await fugu::store::async_open(ex, mem, fugu::options{}, asio::use_awaitable);
        std::atomic<int> acked{0};
        std::atomic<bool> done{false};
        std::atomic<int> violations{0}, answered{0}, blocked{0};
        const auto round_of = [](const std::optional<std::string>& v) { return v ? std::stoi(*v) : 0; };
        std::thread reader([&] {
            while (!done.load(std::memory_order_acquire)) {
                const int seen = acked.load(std::memory_order_acquire);
                fugu::error_code ec;
                auto a = st.try_get("a", ec);
                if (ec == fugu::errc::would_block) {
                    blocked.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
                if (ec) {
                    violations.fetch_add(1);
                    continue;
                }
                auto b = st.try_get("b", ec);
                // a and b are saved together: b, read later, is at least as new as a, and
                // both cover every save acknowledged before the reads started.
                if (round_of(a) < seen) violations.fetch_add(1);
                if (!ec && round_of(b) < round_of(a)) violations.fetch_add(1);
                answered.fetch_add(1, std::memory_order_relaxed);
            }
        });
        for (int round = 1; round <= 500; ++round) {
            fugu::change_set c;
            c.put("a", std::to_string(round));
            c.put("b", std::to_string(round));
            co_await st.async_save(std::move(c), asio::use_awaitable);
            acked.store(round, std::memory_order_release);
        }
        done.store(true, std::memory_order_release);
        reader.join();
        CHECK(violations.load() == 0);
        UNSCOPED_INFO("try_get answered " << answered.load() << ", would_block " << blocked.load());
        co_await st.async_close(asio::use_awaitable);
    });
}
