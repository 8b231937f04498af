// SPDX-License-Identifier: MIT
// Compaction through the public API: a long random workload with overwrites and removes
// under continuous compaction, snapshots held across merges, checked against a model;
// removed keys never come back; and a power cut at every I/O step of a compaction.
#include "support/executor_thread.hpp"
#include "support/fault_storage.hpp"
#include "support/run_coro.hpp"
#include "support/store_fixture.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace asio = boost::asio;
using model = std::map<std::string, std::string>;
using fugu::test::run_coro;

namespace {

asio::awaitable<model> read_all(const fugu::snapshot& snap) {
    model out;
    for (std::string_view k : snap.keys()) {
        auto v = co_await snap.async_read(k, asio::use_awaitable);
        out.emplace(std::string(k), v.value());
    }
    co_return out;
}

asio::awaitable<model> read_all(fugu::store& st) {
    auto snap = co_await st.async_snapshot(asio::use_awaitable);
    co_return co_await read_all(snap);
}

fugu::options compacting(fugu::options o) {
    o.base_slab_size = 64 << 10;
    o.slab_growth = 1.5;
    o.compaction_threshold = 0.7;
    return o;
}

// With `own_thread`, compaction runs on an io_context of its own served by another
// thread (options::compaction_executor), as an application that wants merges beside its
// saves would run it.
void long_workload(fugu::test::backing b, bool own_thread = false) {
    fugu::test::store_home home(b);
    std::mt19937 rng(42);
    model m;
    std::optional<fugu::test::executor_thread> compaction;
    if (own_thread) compaction.emplace();
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto opts = compacting(home.options());
        if (compaction) opts.compaction_executor = compaction->ctx.get_executor();
        auto st = co_await home.open(opts);
        std::vector<std::pair<fugu::snapshot, model>> held;
        // The store counts since its open, so the counts of each opening are added up.
        std::uint64_t compactions = 0, rewritten = 0;
        for (int round = 0; round < 3000; ++round) {
            fugu::change_set c;
            std::map<std::string, bool> used;
            const int n = 1 + static_cast<int>(rng() % 8);
            for (int i = 0; i < n; ++i) {
                std::string k = "key" + std::to_string(rng() % 400);
                if (used[k]) continue;
                used[k] = true;
                if (rng() % 5 == 0) {
                    c.remove(k);
                    m.erase(k);
                } else {
                    std::string v(50 + rng() % 400, static_cast<char>('a' + round % 26));
                    c.put(k, v);
                    m[k] = v;
                }
            }
            co_await st.async_save(std::move(c), asio::use_awaitable);
            if (round % 250 == 0) {
                // Held across many compactions, checked at the end.
                held.emplace_back(co_await st.async_snapshot(asio::use_awaitable), m);
            }
            if (round % 500 == 499) co_await st.async_compact(asio::use_awaitable);
            if (round % 1000 == 999) {
                compactions += st.stats().compactions;
                rewritten += st.stats().bytes_rewritten;
                co_await st.async_close(asio::use_awaitable);
                st = co_await home.open(opts);
                REQUIRE(co_await read_all(st) == m);
            }
        }
        auto stats = st.stats();
        CHECK(compactions + stats.compactions > 0);
        CHECK(rewritten + stats.bytes_rewritten > 0);
        REQUIRE(co_await read_all(st) == m);
        for (auto& [snap, expected] : held) {
            if (!snap.valid()) continue;
            // Snapshots from before a reopen belong to a closed store.
            auto [ec, v] = co_await snap.async_read("key1", asio::as_tuple(asio::use_awaitable));
            if (ec == fugu::errc::store_closed) continue;
            REQUIRE(co_await read_all(snap) == expected);
        }
        held.clear();
        co_await st.async_compact(asio::use_awaitable);
        stats = st.stats();
        std::printf("compaction workload: %llu compactions, %zu slabs, space amplification %.2f, "
                    "write amplification %.2f\n",
                    static_cast<unsigned long long>(stats.compactions), stats.segments.size(),
                    stats.space_amplification, stats.write_amplification);
        CHECK(stats.segments.size() < 20);
        co_await st.async_close(asio::use_awaitable);
        st = co_await home.open(opts);
        REQUIRE(co_await read_all(st) == m);
        co_await st.async_close(asio::use_awaitable);
    });
}

}  // namespace

TEST_CASE("random overwrites and removes under continuous compaction match a model (memory)",
          "[compaction][store]") {
    long_workload(fugu::test::backing::memory);
}

TEST_CASE("random overwrites and removes under continuous compaction match a model (files)",
          "[compaction][engine]") {
    long_workload(fugu::test::backing::files);
}

TEST_CASE("the model workload with compaction on a thread of its own (files)",
          "[compaction][engine][concurrency]") {
    long_workload(fugu::test::backing::files, true);
}

TEST_CASE("removed keys stay removed through merges from and not from the oldest slab",
          "[compaction][store]") {
    fugu::test::store_home home(fugu::test::backing::memory);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto opts = compacting(home.options());
        opts.background_compaction = false;
        auto st = co_await home.open(opts);
        const std::string filler(2000, 'f');
        // Generation after generation: put victims, fill, remove victims in a later slab.
        for (int g = 0; g < 12; ++g) {
            fugu::change_set c;
            c.put("victim" + std::to_string(g), "alive");
            co_await st.async_save(std::move(c), asio::use_awaitable);
            for (int i = 0; i < 40; ++i) {
                fugu::change_set f;
                f.put("fill" + std::to_string(i), filler);
                co_await st.async_save(std::move(f), asio::use_awaitable);
            }
            if (g > 0) {
                fugu::change_set r;
                r.remove("victim" + std::to_string(g - 1));
                co_await st.async_save(std::move(r), asio::use_awaitable);
            }
        }
        // Merge repeatedly: early passes take runs in the middle, later ones the oldest.
        for (int pass = 0; pass < 15; ++pass) {
            co_await st.async_compact(asio::use_awaitable);
            auto snap = co_await st.async_snapshot(asio::use_awaitable);
            for (int g = 0; g < 11; ++g) REQUIRE_FALSE(snap.contains("victim" + std::to_string(g)));
            REQUIRE(snap.contains("victim11"));
        }
        CHECK(st.stats().compactions >= 2);
        co_await st.async_close(asio::use_awaitable);
        st = co_await home.open(opts);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        for (int g = 0; g < 11; ++g) CHECK_FALSE(snap.contains("victim" + std::to_string(g)));
        CHECK(snap.contains("victim11"));
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("a power cut at any I/O step of a compaction changes nothing and leaves no files",
          "[crash][compaction]") {
    using fugu::test::crash_mode;
    using fugu::test::fault_storage;
    asio::io_context ctx;
    auto base = std::make_shared<fault_storage>(ctx.get_executor());
    model m;
    auto opts = compacting(fugu::options{});
    opts.background_compaction = false;
    opts.durability = fugu::durability::fsync;
    run_coro(ctx, [&]() -> asio::awaitable<void> {
        auto st = co_await fugu::store::async_open(ctx.get_executor(), base, opts, asio::use_awaitable);
        std::mt19937 rng(3);
        for (int i = 0; i < 300; ++i) {
            fugu::change_set c;
            std::string k = "k" + std::to_string(rng() % 60);
            if (i % 7 == 6) {
                c.remove(k);
                m.erase(k);
            } else {
                std::string v(900, static_cast<char>('a' + i % 26));
                c.put(k, v);
                m[k] = v;
            }
            co_await st.async_save(std::move(c), asio::use_awaitable);
        }
        co_await st.async_close(asio::use_awaitable);
    }());
    // How many operations one open + compaction + close takes.
    std::uint64_t total = 0;
    {
        auto img = base->crash_image(crash_mode::keep);
        run_coro(ctx, [&]() -> asio::awaitable<void> {
            auto st = co_await fugu::store::async_open(ctx.get_executor(), img, opts, asio::use_awaitable);
            co_await st.async_compact(asio::use_awaitable);
            CHECK(st.stats().compactions == 1);
            co_await st.async_close(asio::use_awaitable);
        }());
        total = img->op_count();
    }
    std::size_t states = 0, violations = 0, leftovers = 0;
    for (std::uint64_t cut = 1; cut <= total + 1; ++cut) {
        for (auto mode : {crash_mode::drop, crash_mode::tear, crash_mode::keep}) {
            auto img = base->crash_image(crash_mode::keep);
            img->power_cut_at(cut);
            run_coro(ctx, [&]() -> asio::awaitable<void> {
                auto [ec, st] = co_await fugu::store::async_open(ctx.get_executor(), img, opts,
                                                                 asio::as_tuple(asio::use_awaitable));
                if (ec) co_return;
                co_await st.async_compact(asio::as_tuple(asio::use_awaitable));
                co_await st.async_close(asio::use_awaitable);
            }());
            auto after = img->crash_image(mode, cut);
            ++states;
            run_coro(ctx, [&]() -> asio::awaitable<void> {
                fugu::diagnostics diag;
                auto [ec, st] = co_await fugu::store::async_open(ctx.get_executor(), after, opts, diag,
                                                                 asio::as_tuple(asio::use_awaitable));
                if (ec) {
                    ++violations;
                    UNSCOPED_INFO("cut " << cut << ": reopen failed: " << diag.message());
                    co_return;
                }
                if (co_await read_all(st) != m) ++violations;
                // Only the slabs in use remain: no temporary output, no superseded source.
                auto listed = after->list();
                REQUIRE(listed.has_value());
                std::size_t in_use = st.stats().segments.size();
                for (auto& e : *listed)
                    if (e.temporary) ++leftovers;
                if (listed->size() != in_use) ++leftovers;
                co_await st.async_close(asio::use_awaitable);
            }());
        }
    }
    std::printf("compaction crash states=%zu violations=%zu leftovers=%zu\n", states, violations, leftovers);
    CHECK(violations == 0);
    CHECK(leftovers == 0);
}

TEST_CASE("compaction settles once slabs hold only live data", "[compaction][store]") {
    // Small values make the per-change-set framing a large share of a log slab. A merge
    // sheds that once; after it, rewriting the merged slabs would free nothing, so however
    // often compaction is poked, it must not copy the data again and again.
    fugu::test::store_home home(fugu::test::backing::memory);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto opts = compacting(home.options());
        opts.compaction_threshold = 0.95;
        auto st = co_await home.open(opts);
        for (int i = 0; i < 4000; ++i) {
            fugu::change_set c;
            char key[17];
            std::snprintf(key, sizeof key, "%016d", i);
            c.put(key, std::string(100, 'v'));
            co_await st.async_save(std::move(c), asio::use_awaitable);
        }
        for (int i = 0; i < 8; ++i) co_await st.async_compact(asio::use_awaitable);
        const auto s = st.stats();
        std::printf("settled: saved=%llu rewritten=%llu compactions=%llu space amplification %.2f\n",
                    static_cast<unsigned long long>(s.bytes_saved),
                    static_cast<unsigned long long>(s.bytes_rewritten),
                    static_cast<unsigned long long>(s.compactions), s.space_amplification);
        CHECK(s.compactions > 0);
        // Each byte is worth merging about once (plus merges of neighbouring runs).
        CHECK(s.bytes_rewritten < 3 * s.bytes_saved);
        CHECK(s.space_amplification < 1.35);
        co_await st.async_close(asio::use_awaitable);
    });
}
