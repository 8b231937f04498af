// SPDX-License-Identifier: MIT
// I/O error sweep: a workload that opens a store, saves, reads, compacts, saves again and
// closes, run once per I/O operation it performs with that operation failed (once, and
// from then on) by EIO, ENOSPC, a short write or a failed fdatasync. Every run must end
// (no crash, no hang, nothing left holding the storage); no save may be acknowledged
// after one failed; every acknowledged change set must be durable (it survives a power
// cut right after the run) and present after reopening; no reopen may fail.
#include "crash/crash_env.hpp"
#include "crash/workload.hpp"
#include "support/fault_storage.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace fugu::test::crash;
using fugu::test::fault_op;
using fugu::test::fault_storage;

namespace {

enum class fault_kind { eio, enospc, short_write, failed_sync };

const char* name(fault_kind k) {
    switch (k) {
    case fault_kind::eio: return "EIO";
    case fault_kind::enospc: return "ENOSPC";
    case fault_kind::short_write: return "short write";
    case fault_kind::failed_sync: return "failed fdatasync";
    }
    return "?";
}

fugu::error_code sys(int e) {
    return {e, boost::system::system_category()};
}

fugu::options sweep_options() {
    fugu::options o;
    o.durability = fugu::durability::fsync;
    o.base_slab_size = 64 << 10;  // rotations within the workload
    return o;
}

// Runs `aw` on `ctx` for at most `limit`; false if it did not finish (a hang).
bool run_bounded(asio::io_context& ctx, asio::awaitable<void> aw, std::chrono::seconds limit,
                 std::exception_ptr& error) {
    bool done = false;
    asio::co_spawn(ctx, std::move(aw), [&](std::exception_ptr e) {
        error = e;
        done = true;
    });
    ctx.restart();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done && std::chrono::steady_clock::now() < deadline) {
        if (ctx.run_one_for(std::chrono::milliseconds(100)) == 0 && ctx.stopped()) break;
    }
    return done;
}

struct sweep_totals {
    std::uint64_t cases = 0, crashes = 0, hangs = 0, leaks = 0, acks_after_failure = 0;
    std::uint64_t unsynced_acks = 0, lost_after_reopen = 0, failed_reopens = 0, wrong_reads = 0;
    std::uint64_t failed_saves = 0;
};

struct one_case {
    std::uint64_t op = 0;  // 0: no fault
    fault_kind kind = fault_kind::eio;
    bool persistent = false;
    std::size_t prefix = 0;
    fugu::error_code ec;
};

// The workload; the phases are open, save, read, compact, save, close.
// The store starts with change sets [0, first) (a crashed earlier session with a torn
// tail, so open has recovery work: reads, a truncate, syncs, a sync mark).
asio::awaitable<void> workload_run(asio::io_context& ctx, std::shared_ptr<fault_storage> storage,
                                   const workload& w, std::size_t first, save_results& res,
                                   std::uint64_t& wrong_reads) {
    auto [ec, st] = co_await fugu::store::async_open(ctx.get_executor(), storage, sweep_options(),
                                                     asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const std::size_t half = first + (w.sets.size() - first) * 2 / 3;
    if (res.acked < first) res.acked = first;  // durable before this session began
    co_await run_saves(st, w, first, half, 4, res);
    {
        auto [sec, snap] = co_await st.async_snapshot(asio::as_tuple(asio::use_awaitable));
        if (!sec) {
            const bool all_acked = res.acked == half && res.first_failed == 0;
            for (std::string_view k : snap.keys()) {
                auto [rec, v] = co_await snap.async_read(k, asio::as_tuple(asio::use_awaitable));
                if (rec || !all_acked) continue;  // an error is an answer; a wrong value is not
                auto it = w.after[half].find(std::string(k));
                if (!v || it == w.after[half].end() || *v != it->second) ++wrong_reads;
            }
        }
    }
    auto [cec] = co_await st.async_compact(asio::as_tuple(asio::use_awaitable));
    (void)cec;
    co_await run_saves(st, w, half, w.sets.size(), 4, res);
    auto [clec] = co_await st.async_close(asio::as_tuple(asio::use_awaitable));
    (void)clec;
}

// Opens `storage`, checks it holds a prefix of at least `acked` change sets, closes it.
// 0: fine; 1: open failed; 2: something acknowledged is missing or partial.
int check_reopen(asio::io_context& ctx, std::shared_ptr<fugu::storage> storage, const workload& w,
                 std::size_t acked, std::string& why) {
    int verdict = 0;
    std::exception_ptr error;
    const bool done = run_bounded(ctx, [&]() -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await fugu::store::async_open(ctx.get_executor(), storage, sweep_options(), diag,
                                                         asio::as_tuple(asio::use_awaitable));
        if (ec) {
            verdict = 1;
            why = ec.message() + ": " + diag.message();
            co_return;
        }
        auto got = co_await read_all(st);
        if (!is_prefix_state(w, got, acked)) {
            verdict = 2;
            why = std::to_string(got.size()) + " keys, matching no prefix of >= " + std::to_string(acked);
        }
        co_await st.async_close(asio::use_awaitable);
    }(), std::chrono::seconds(30), error);
    if (!done || error) {
        verdict = 1;
        why = done ? "exception on reopen" : "reopen hung";
    }
    return verdict;
}

// A store left by a session that lost power in the middle of its saves, torn, and the
// number of change sets it holds.
struct base_store {
    std::shared_ptr<fault_storage> image;
    std::size_t sets = 0;
};

void run_case(const one_case& c, const workload& w, const base_store& base, sweep_totals& t,
              std::uint64_t* ops_out) {
    ++t.cases;
    std::weak_ptr<fault_storage> weak;
    save_results res;
    std::string where = c.op ? "op #" + std::to_string(c.op) + " " + name(c.kind) +
                                   (c.persistent ? " from then on" : " once")
                             : std::string("no fault");
    {
        asio::io_context ctx;
        auto storage = base.image->crash_image(fugu::test::crash_mode::keep, 0, 0, ctx.get_executor());
        weak = storage;
        if (c.op) storage->fail_at(storage->op_count() + c.op, c.ec, c.persistent, c.prefix);
        const std::uint64_t ops_before = storage->op_count();
        std::exception_ptr error;
        const bool done = run_bounded(ctx, workload_run(ctx, storage, w, base.sets, res, t.wrong_reads),
                                      std::chrono::seconds(30), error);
        if (!done) {
            ++t.hangs;
            FUGU_CRASH_NOTE(where << ": the workload hung");
            return;  // its objects cannot be taken apart safely
        }
        if (error) {
            ++t.crashes;
            FUGU_CRASH_NOTE(where << ": the workload threw");
        }
        if (ops_out) *ops_out = storage->op_count() - ops_before;
        finish(res);
        if (res.first_failed) ++t.failed_saves;
        if (res.acked_after_failure) {
            t.acks_after_failure += res.acked_after_failure;
            FUGU_CRASH_NOTE(where << ": " << res.acked_after_failure << " saves acknowledged after save "
                                << res.first_failed << " failed");
        }
        // A power cut right after the run keeps only synced bytes: every acknowledged save
        // must be among them.
        auto image = storage->crash_image(fugu::test::crash_mode::drop);
        storage->clear_faults();
        std::string why;
        switch (check_reopen(ctx, storage, w, res.acked, why)) {
        case 1: ++t.failed_reopens; FUGU_CRASH_NOTE(where << ": reopen failed: " << why); break;
        case 2: ++t.lost_after_reopen; FUGU_CRASH_NOTE(where << ": after reopen: " << why); break;
        default: break;
        }
        switch (check_reopen(ctx, image, w, res.acked, why)) {
        case 1: ++t.failed_reopens; FUGU_CRASH_NOTE(where << ": reopen after power cut failed: " << why); break;
        case 2: ++t.unsynced_acks; FUGU_CRASH_NOTE(where << ": after power cut: " << why); break;
        default: break;
        }
    }
    // Everything the store made is gone with the io_context: nothing holds the storage.
    if (!weak.expired()) {
        ++t.leaks;
        FUGU_CRASH_NOTE(where << ": the storage outlived the store and its io_context");
    }
}

base_store make_base(const workload& w) {
    asio::io_context ctx;
    // Unsynced saves, so the power cut leaves a tail to tear.
    fugu::options buffered = sweep_options();
    buffered.durability = fugu::durability::os_buffered;
    auto storage = std::make_shared<fault_storage>(ctx.get_executor());
    {
        // Count the first session's operations, then cut it half way.
        auto probe = std::make_shared<fault_storage>(ctx.get_executor());
        save_results r;
        std::exception_ptr error;
        run_bounded(ctx, [&]() -> asio::awaitable<void> {
            auto st = co_await fugu::store::async_open(ctx.get_executor(), probe, buffered,
                                                       asio::use_awaitable);
            co_await run_saves(st, w, 0, w.sets.size() / 4, 4, r);
            co_await st.async_close(asio::use_awaitable);
        }(), std::chrono::seconds(30), error);
        storage->power_cut_at(probe->op_count() / 2);
    }
    save_results r;
    std::exception_ptr error;
    run_bounded(ctx, [&]() -> asio::awaitable<void> {
        auto [ec, st] = co_await fugu::store::async_open(ctx.get_executor(), storage, buffered,
                                                         asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        co_await run_saves(st, w, 0, w.sets.size() / 4, 4, r);
        co_await st.async_close(asio::as_tuple(asio::use_awaitable));
    }(), std::chrono::seconds(30), error);
    base_store b;
    // Torn: the cut's unsynced bytes end in garbage, which recovery must cut off.
    b.image = storage->crash_image(fugu::test::crash_mode::tear, 5, 512);
    // How many change sets it holds.
    run_bounded(ctx, [&]() -> asio::awaitable<void> {
        auto copy = b.image->crash_image(fugu::test::crash_mode::keep);
        auto st = co_await fugu::store::async_open(ctx.get_executor(), copy, sweep_options(), asio::use_awaitable);
        auto got = co_await read_all(st);
        for (std::size_t k = 0; k < w.after.size(); ++k)
            if (got == w.after[k]) b.sets = k;
        co_await st.async_close(asio::use_awaitable);
    }(), std::chrono::seconds(30), error);
    return b;
}

}  // namespace

TEST_CASE("every I/O operation failing, once or from then on, loses nothing acknowledged",
          "[io-errors]") {
    // Fewer change sets leave the torn base store without a whole one under sanitizers.
    const workload w = make_workload(11, 96);
    base_store base = make_base(w);
    REQUIRE(base.sets > 0);
    sweep_totals t;
    std::uint64_t total_ops = 0;
    run_case(one_case{}, w, base, t, &total_ops);
    REQUIRE(t.failed_saves == 0);
    REQUIRE(t.failed_reopens + t.lost_after_reopen + t.unsynced_acks == 0);
    REQUIRE(total_ops > 20);

    // The clean run's operations: the faulted runs match it up to the fault.
    std::vector<fugu::test::fault_op_record> log;
    {
        asio::io_context ctx;
        auto storage = base.image->crash_image(fugu::test::crash_mode::keep, 0, 0, ctx.get_executor());
        const std::uint64_t before = storage->op_count();
        save_results res;
        std::uint64_t wrong = 0;
        std::exception_ptr error;
        run_bounded(ctx, workload_run(ctx, storage, w, base.sets, res, wrong), std::chrono::seconds(30), error);
        for (auto& op : storage->op_log())
            if (op.number > before) {
                op.number -= before;
                log.push_back(op);
            }
    }
    REQUIRE(log.size() == total_ops);
    if (std::getenv("FUGU_CRASH_VERBOSE")) {
        std::printf("base holds %zu change sets\n", base.sets);
        for (const auto& op : log) std::printf("  %s\n", to_string(op).c_str());
    }

    std::map<std::string, std::uint64_t> by_op;
    const auto started = std::chrono::steady_clock::now();
    for (const auto& op : log) {
        const bool write = op.kind == fault_op::write;
        const bool allocates = write || op.kind == fault_op::create || op.kind == fault_op::truncate ||
                               op.kind == fault_op::publish;
        const bool syncs = (write && op.sync) || op.kind == fault_op::sync || op.kind == fault_op::truncate;
        for (bool persistent : {false, true}) {
            std::vector<one_case> cases;
            cases.push_back({op.number, fault_kind::eio, persistent, 0, sys(EIO)});
            if (allocates) cases.push_back({op.number, fault_kind::enospc, persistent, 0, sys(ENOSPC)});
            if (write && op.length > 1)
                cases.push_back({op.number, fault_kind::short_write, persistent,
                                 static_cast<std::size_t>(op.length / 2), sys(ENOSPC)});
            if (syncs)  // the bytes landed in the page cache; the fdatasync failed
                cases.push_back({op.number, fault_kind::failed_sync, persistent,
                                 static_cast<std::size_t>(op.length), sys(EIO)});
            for (const auto& c : cases) {
                run_case(c, w, base, t, nullptr);
                ++by_op[std::string(fugu::test::to_string(op.kind))];
            }
        }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string ops_note;
    for (const auto& [k, n] : by_op) ops_note += (ops_note.empty() ? "" : ",") + k + ":" + std::to_string(n);
    std::printf("io_errors: ops=%llu cases=%llu crashes=%llu hangs=%llu leaks=%llu "
                "acks_after_failure=%llu unsynced_acks=%llu lost_after_reopen=%llu failed_reopens=%llu "
                "wrong_reads=%llu runs_with_failed_saves=%llu (%s)%s time=%.1fs\n",
                static_cast<unsigned long long>(total_ops), static_cast<unsigned long long>(t.cases),
                static_cast<unsigned long long>(t.crashes), static_cast<unsigned long long>(t.hangs),
                static_cast<unsigned long long>(t.leaks), static_cast<unsigned long long>(t.acks_after_failure),
                static_cast<unsigned long long>(t.unsynced_acks),
                static_cast<unsigned long long>(t.lost_after_reopen),
                static_cast<unsigned long long>(t.failed_reopens), static_cast<unsigned long long>(t.wrong_reads),
                static_cast<unsigned long long>(t.failed_saves), ops_note.c_str(),
                fugu::test::crash_mode_note().c_str(), secs);
    CHECK(t.crashes == 0);
    CHECK(t.hangs == 0);
    CHECK(t.leaks == 0);
    CHECK(t.acks_after_failure == 0);
    CHECK(t.unsynced_acks == 0);
    CHECK(t.lost_after_reopen == 0);
    CHECK(t.failed_reopens == 0);
    CHECK(t.wrong_reads == 0);
}
