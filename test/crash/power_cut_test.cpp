// SPDX-License-Identifier: MIT
// Crash-state enumeration: small workloads (saves with several in flight, slab rotations,
// a forced compaction, background compaction, close) are cut by a power loss at every
// I/O step, and each cut is turned into every crash image the storage model allows:
// unsynced writes dropped, kept, or kept up to a torn 512-byte or 4 KiB sector (two
// seeds each), with unsynced creates undone. After reopening each image: the open
// succeeds (a legal crash state is never called corrupt), the contents equal the first k
// change sets for some k (nothing partial, no hole), and under durability::fsync k
// covers every acknowledged save.
#include "crash/crash_env.hpp"
#include "crash/workload.hpp"
#include "support/fault_storage.hpp"
#include "support/run_coro.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace fugu::test::crash;
using fugu::test::crash_mode;
using fugu::test::fault_storage;

namespace {

struct shape {
    std::uint32_t seed;
    int sets;
    std::size_t in_flight;
    fugu::durability durability;
    std::size_t value_spread;
};

fugu::options crash_options(fugu::durability d) {
    fugu::options o;
    o.durability = d;
    o.base_slab_size = 64 << 10;    // the smallest: rotations within a few change sets
    o.compaction_threshold = 0.9;   // background merges as soon as a tenth is dead
    return o;
}

// Open, save half, compact, save the rest, close. `acked` gets the saves' outcome.
asio::awaitable<void> run_shape(asio::io_context& ctx, std::shared_ptr<fault_storage> storage,
                                const shape& s, const workload& w, save_results& acked) {
    auto [ec, st] = co_await fugu::store::async_open(ctx.get_executor(), storage, crash_options(s.durability),
                                                     asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // the cut came during the first open
    const std::size_t half = w.sets.size() / 2;
    co_await run_saves(st, w, 0, half, s.in_flight, acked);
    auto [cec] = co_await st.async_compact(asio::as_tuple(asio::use_awaitable));
    (void)cec;
    co_await run_saves(st, w, half, w.sets.size(), s.in_flight, acked);
    auto [clec] = co_await st.async_close(asio::as_tuple(asio::use_awaitable));
    (void)clec;
}

// A fingerprint of every slab of an image, so identical images after different cuts are
// checked once. Every file counts, whatever its id: list() is not an operation the fault
// counter numbers.
std::size_t image_hash(fault_storage& f) {
    std::size_t h = 0;
    // list() needs the storage locked, as an open store holds it; open locks it again.
    REQUIRE_FALSE(f.lock());
    auto listed = f.list();
    f.unlock();
    REQUIRE(listed.has_value());
    for (const auto& e : *listed) {
        auto c = f.contents(e.id, e.temporary);
        if (!c) continue;
        std::string_view v(reinterpret_cast<const char*>(c->data()), c->size());
        h = h * 1099511628211ull ^ (std::hash<std::string_view>{}(v) + e.id * 2 + e.temporary);
    }
    return h;
}

constexpr std::uint64_t tear_seeds = 14;

struct totals {
    std::uint64_t states = 0, cuts = 0, violations = 0, failed_opens = 0, lost = 0, duplicates = 0;
};

void enumerate(const shape& s, totals& t) {
    const workload w = make_workload(s.seed, s.sets, 12, 200, s.value_spread);
    std::uint64_t total_ops = 0;
    {
        asio::io_context ctx;
        auto storage = std::make_shared<fault_storage>(ctx.get_executor());
        save_results r;
        fugu::test::run_coro(ctx, run_shape(ctx, storage, s, w, r));
        REQUIRE(r.acked == w.sets.size());
        total_ops = storage->op_count();
        if (std::getenv("FUGU_CRASH_VERBOSE"))
            for (const auto& op : storage->op_log()) std::printf("  %s\n", to_string(op).c_str());
    }
    REQUIRE(total_ops > 4);

    const bool durable_acks = s.durability == fugu::durability::fsync;
    for (std::uint64_t cut = 1; cut <= total_ops + 1; ++cut) {
        ++t.cuts;
        asio::io_context ctx;
        auto storage = std::make_shared<fault_storage>(ctx.get_executor());
        storage->power_cut_at(cut);
        save_results r;
        fugu::test::run_coro(ctx, run_shape(ctx, storage, s, w, r));

        struct variant {
            crash_mode mode;
            std::uint64_t seed;
            std::uint64_t sector;
            const char* name;
        };
        // Torn images differ by where the unsynced bytes stop and what the torn sector
        // holds: several seeds per sector size.
        std::vector<variant> variants{{crash_mode::drop, 0, 0, "drop"}, {crash_mode::keep, 0, 0, "keep"}};
        // Under fsync every write is synced as it completes, so torn images rarely
        // differ from the dropped one; os_buffered leaves much more to tear.
        const std::uint64_t seeds = durable_acks ? 1 : tear_seeds;
        for (std::uint64_t k = 0; k < seeds; ++k) {
            variants.push_back({crash_mode::tear, cut * 64 + k, 512, "tear 512"});
            variants.push_back({crash_mode::tear, cut * 64 + 32 + k, 4096, "tear 4096"});
        }
        std::set<std::size_t> seen;
        for (const auto& v : variants) {
            auto image = storage->crash_image(v.mode, v.seed, v.sector);
            if (!seen.insert(image_hash(*image)).second) {
                ++t.duplicates;
                continue;
            }
            ++t.states;
            // What must survive: everything acknowledged when saves were durable, and,
            // when nothing was lost from the page cache (keep), under os_buffered too.
            const std::size_t must = (durable_acks || v.mode == crash_mode::keep) ? r.acked : 0;
            fugu::test::run_coro(ctx, [&]() -> asio::awaitable<void> {
                fugu::diagnostics diag;
                auto [ec, st] = co_await fugu::store::async_open(ctx.get_executor(), image,
                                                                 crash_options(s.durability), diag,
                                                                 asio::as_tuple(asio::use_awaitable));
                if (ec) {
                    ++t.failed_opens;
                    FUGU_CRASH_NOTE("workload " << s.seed << " cut " << cut << " " << v.name
                                              << ": reopen failed: " << ec.message() << " " << diag.message());
                    co_return;
                }
                auto got = co_await read_all(st);
                if (!is_prefix_state(w, got, must)) {
                    if (t.violations < 5) {
                        std::size_t best = 0, best_diff = ~std::size_t{0};
                        for (std::size_t k = 0; k < w.after.size(); ++k) {
                            std::size_t diff = 0;
                            for (const auto& [key, val] : w.after[k]) {
                                auto it = got.find(key);
                                if (it == got.end() || it->second != val) ++diff;
                            }
                            for (const auto& [key, val] : got) diff += w.after[k].count(key) ? 0 : 1;
                            if (diff < best_diff) best_diff = diff, best = k;
                        }
                        std::printf("violation: workload %u cut %llu %s: acked %zu, nearest prefix %zu "
                                    "differs in %zu keys\n",
                                    s.seed, static_cast<unsigned long long>(cut), v.name, r.acked, best,
                                    best_diff);
                    }
                    ++t.violations;
                    if (is_prefix_state(w, got, 0)) ++t.lost;
                    FUGU_CRASH_NOTE("workload " << s.seed << " cut " << cut << " " << v.name << ": recovered "
                                              << got.size() << " keys matching no prefix >= " << must);
                }
                co_await st.async_close(asio::use_awaitable);
            }());
        }
    }
}

}  // namespace

TEST_CASE("a power cut at any I/O step, in any crash image, loses no acknowledged save and "
          "leaves no partial one",
          "[crash]") {
    // Workload shapes: in-flight depth, size of values (how soon slabs rotate) and
    // durability vary; each runs open, saves, a forced compaction, saves, close.
    std::vector<shape> shapes;
    const std::uint64_t n = fugu::test::crash_count(28, 7);
    // CI runs the same workloads every time; a soak run names its own seed.
    const std::uint64_t base = std::getenv("FUGU_CRASH_SEED") ? fugu::test::crash_seed() : 7;
    for (std::uint64_t i = 0; i < n; ++i) {
        const auto seed = static_cast<std::uint32_t>(base + i);
        const std::size_t depth[] = {1, 4, 1, 2, 8};
        // os_buffered leaves unsynced bytes at every step, so its torn images differ;
        // under fsync a cut can only fall between synced writes.
        const fugu::durability d = i % 2 == 0 ? fugu::durability::os_buffered : fugu::durability::fsync;
        shapes.push_back({seed, 30 + static_cast<int>(i % 4) * 8, depth[i % 5], d,
                          i % 3 == 0 ? std::size_t{9000} : std::size_t{3000}});
    }
    totals t;
    const auto started = std::chrono::steady_clock::now();
    for (const auto& s : shapes) enumerate(s, t);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("crash_states: states=%llu violations=%llu failed_opens=%llu lost_acked=%llu "
                "workloads=%zu cuts=%llu duplicate_images_skipped=%llu%s time=%.1fs\n",
                static_cast<unsigned long long>(t.states), static_cast<unsigned long long>(t.violations),
                static_cast<unsigned long long>(t.failed_opens), static_cast<unsigned long long>(t.lost),
                shapes.size(), static_cast<unsigned long long>(t.cuts),
                static_cast<unsigned long long>(t.duplicates), fugu::test::crash_mode_note().c_str(), secs);
    CHECK(t.failed_opens == 0);
    CHECK(t.violations == 0);
    if (!fugu::test::crash_sanitized && fugu::test::crash_scale() >= 1) CHECK(t.states >= 20000);
}
