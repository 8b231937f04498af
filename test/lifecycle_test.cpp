// SPDX-License-Identifier: MIT
// Lifecycle of a whole store: its lock against a second open in this process and in
// another (fugu_lock_probe), the lock free at once after its holder is killed, exec'd
// children inheriting none of the store's descriptors, and the documented limits at 0, 1,
// max and max+1 through change_set and async_save (docs/api.md, <fugu/limits.hpp>).
#include "storage/child_process.hpp"
#include "storage/lock_probe_codes.hpp"
#include "storage/lock_probe_path.hpp"
#include "support/error_of.hpp"
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"
#include "support/test_engine.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace probe = fugu::test::lock_probe;
using fugu::test::run_coro;

fugu::options quick_options() {
    fugu::options o;
    o.io_engine = fugu::test::test_engine();
    o.durability = fugu::durability::os_buffered;
    return o;
}

// Rounds of the lock cycles; FUGU_SOAK_LOCK_ROUNDS raises it for long runs.
int lock_rounds() {
    const char* v = std::getenv("FUGU_SOAK_LOCK_ROUNDS");
    return v ? std::max(1, std::atoi(v)) : 100;
}

int run_probe(std::vector<std::string> args) {
    args.insert(args.begin(), FUGU_LOCK_PROBE_PATH);
    fugu::test::child_process child(std::move(args));
    child.close_stdin();
    return child.wait();
}

asio::awaitable<std::pair<fugu::error_code, fugu::store>> try_open(const std::string& dir) {
    auto ex = co_await asio::this_coro::executor;
    auto [ec, st] = co_await fugu::store::async_open(ex, dir, quick_options(),
                                                     asio::as_tuple(asio::use_awaitable));
    co_return std::make_pair(ec, std::move(st));
}

asio::awaitable<void> put_one(fugu::store& st, std::string_view key, std::string_view value) {
    fugu::change_set c;
    c.put(key, value);
    co_await st.async_save(std::move(c), asio::use_awaitable);
}

}  // namespace

TEST_CASE("a second open in the same process gets store_locked until the first closes",
          "[lifecycle][engine]") {
    fugu::test::temp_dir tmp;
    const std::string db = (tmp / "db").string();
    const int rounds = lock_rounds();
    int refused = 0, reopened = 0;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        for (int i = 0; i < rounds; ++i) {
            auto [ec, first] = co_await try_open(db);
            REQUIRE_FALSE(ec);
            auto [ec2, second] = co_await try_open(db);
            if (ec2 == fugu::errc::store_locked && !second.is_open()) ++refused;
            // The refused open took nothing away from the holder.
            const std::string round = std::to_string(i);
            co_await put_one(first, "round", round);
            co_await first.async_close(asio::use_awaitable);
            auto [ec3, third] = co_await try_open(db);
            if (!ec3) {
                auto v = co_await third.async_get("round", asio::use_awaitable);
                if (v == std::to_string(i)) ++reopened;
                co_await third.async_close(asio::use_awaitable);
            }
        }
    });
    std::printf("lifecycle: same_process rounds=%d store_locked=%d reopened_after_close=%d\n",
                rounds, refused, reopened);
    CHECK(refused == rounds);
    CHECK(reopened == rounds);
}

TEST_CASE("a second store on the same memory_storage gets store_locked", "[lifecycle]") {
    auto mem = std::make_shared<fugu::memory_storage>();
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto first = co_await fugu::store::async_open(ex, mem, quick_options(), asio::use_awaitable);
        auto [ec, second] = co_await fugu::store::async_open(ex, mem, quick_options(),
                                                             asio::as_tuple(asio::use_awaitable));
        CHECK(ec == fugu::errc::store_locked);
        co_await first.async_close(asio::use_awaitable);
        auto [ec2, third] = co_await fugu::store::async_open(ex, mem, quick_options(),
                                                             asio::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec2);
        co_await third.async_close(asio::use_awaitable);
    });
}

TEST_CASE("another process gets store_locked while a store is open, and opens it after close",
          "[lifecycle][engine]") {
    fugu::test::temp_dir tmp;
    const std::string db = (tmp / "db").string();
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto [ec, st] = co_await try_open(db);
        REQUIRE_FALSE(ec);
        co_await put_one(st, "k", "v");
        CHECK(run_probe({"open", db}) == probe::exit_store_locked);
        co_await st.async_close(asio::use_awaitable);
        CHECK(run_probe({"open", db}) == probe::exit_locked);
    });
}

TEST_CASE("the lock is free right after the holding process is killed with SIGKILL",
          "[lifecycle][engine]") {
    fugu::test::temp_dir tmp;
    const std::string db = (tmp / "db").string();
    const int rounds = lock_rounds();
    int locked_while_held = 0, free_after_kill = 0;
    std::chrono::nanoseconds slowest{0};
    for (int i = 0; i < rounds; ++i) {
        fugu::test::child_process holder({FUGU_LOCK_PROBE_PATH, "hold-open", db});
        REQUIRE(holder.read_line() == "ready");
        run_coro([&](asio::io_context&) -> asio::awaitable<void> {
            auto [ec, st] = co_await try_open(db);
            if (ec == fugu::errc::store_locked) ++locked_while_held;
        });
        holder.kill(SIGKILL);
        REQUIRE(holder.wait() == 128 + SIGKILL);
        // Reaped: the kernel has dropped the holder's descriptors, so the very next open
        // must succeed; no stale-lock detection, no retry.
        const auto t0 = std::chrono::steady_clock::now();
        run_coro([&](asio::io_context&) -> asio::awaitable<void> {
            auto [ec, st] = co_await try_open(db);
            slowest = std::max(slowest, std::chrono::steady_clock::now() - t0);
            if (ec) co_return;
            auto v = co_await st.async_get("held", asio::use_awaitable);
            if (v == "by the probe") ++free_after_kill;
            co_await st.async_close(asio::use_awaitable);
        });
    }
    std::printf("lifecycle: kill_rounds=%d store_locked_while_held=%d free_after_sigkill=%d "
                "slowest_reopen_ms=%.1f\n",
                rounds, locked_while_held, free_after_kill,
                std::chrono::duration<double, std::milli>(slowest).count());
    CHECK(locked_while_held == rounds);
    CHECK(free_after_kill == rounds);
    CHECK(slowest < std::chrono::seconds(1));
}

TEST_CASE("a child exec'd while a store is open inherits none of its descriptors",
          "[lifecycle][engine]") {
    fugu::test::temp_dir tmp;
    const std::string db = (fs::canonical(tmp.path()) / "db").string();
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto [ec, st] = co_await try_open(db);
        REQUIRE_FALSE(ec);
        for (int i = 0; i < 20; ++i) {
            const std::string key = "key" + std::to_string(i), value(100, 'v');
            co_await put_one(st, key, value);
        }
        co_await st.async_compact(asio::use_awaitable);

        // The parent itself holds descriptors in the store (else the check proves nothing).
        auto held = [](pid_t pid, const std::string& dir) {
            int n = 0;
            for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
                std::error_code ec;
                const auto target = fs::read_symlink(fd.path(), ec).string();
                if (!ec && target.rfind(dir, 0) == 0) ++n;
            }
            return n;
        };
        CHECK(held(::getpid(), db) >= 2);  // at least LOCK and a slab (and the directory)

        fugu::test::child_process child({FUGU_LOCK_PROBE_PATH, "wait"});
        REQUIRE(child.read_line() == "ready");
        CHECK(held(child.pid(), db) == 0);
        // The child being alive changes nothing for the lock: another process is refused
        // while we hold it, and gets it once we close.
        CHECK(run_probe({"open", db}) == probe::exit_store_locked);
        co_await st.async_close(asio::use_awaitable);
        CHECK(run_probe({"open", db}) == probe::exit_locked);
        child.close_stdin();
        CHECK(child.wait() == 0);
    });
}

// ---- limits ------------------------------------------------------------------------------

namespace {

using fugu::test::code_of;
using fugu::test::error_of;

// A key of `n` bytes that differs from other keys of the same length.
std::string sized_key(std::size_t n, char fill = 'k') { return std::string(n, fill); }

// Fixed-width keys for the entry-count cases: 7 hex digits cover 2^20 + 1 distinct keys.
std::string numbered_key(std::size_t i) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%07zx", i);
    return std::string(buf, 7);
}

struct limit_counter {
    int cases = 0;
    int as_documented = 0;
    void record(const std::string& what, bool ok) {
        ++cases;
        if (ok) ++as_documented;
        else FAIL_CHECK("limit case not as documented: " << what);
    }
};

}  // namespace

TEST_CASE("limits at 0, 1, max and max+1 behave as documented", "[lifecycle][limits]") {
    auto mem = std::make_shared<fugu::memory_storage>();
    limit_counter count;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        fugu::options o = quick_options();
        o.background_compaction = false;
        auto st = co_await fugu::store::async_open(ex, mem, o, asio::use_awaitable);

        // Saves `c` and reads every key back: present with the value put, absent if removed.
        auto save_and_check = [&](fugu::change_set c) -> asio::awaitable<bool> {
            std::vector<std::pair<std::string, std::optional<std::string>>> expect;
            const bool sample = c.size() > 64;  // big change sets: a spread of keys
            const std::size_t n = c.size();
            for (std::size_t i = 0; i < n; ++i) {
                if (sample && i % 4099 != 0 && i + 1 != n) continue;
                const auto& e = c.entries()[i];
                if (e.is_remove()) expect.emplace_back(std::string(e.key()), std::nullopt);
                else expect.emplace_back(std::string(e.key()), std::string(e.value()));
            }
            auto [ec, seq] = co_await st.async_save(std::move(c), asio::as_tuple(asio::use_awaitable));
            if (ec || seq == 0) co_return false;
            auto snap = co_await st.async_snapshot(asio::use_awaitable);
            for (auto& [k, v] : expect) {
                auto got = co_await snap.async_read(k, asio::use_awaitable);
                if (got != v) co_return false;
            }
            co_return true;
        };
        auto rejected = [](fugu::change_set& c, fugu::errc want, auto&& add) {
            const std::size_t size = c.size(), bytes = c.byte_size();
            const bool threw = error_of(add) == code_of(want);
            return threw && c.size() == size && c.byte_size() == bytes;  // unchanged
        };

        // Key size, through put and through remove.
        for (std::size_t n : {std::size_t{0}, std::size_t{1}, fugu::max_key_size}) {
            fugu::change_set c;
            c.put(sized_key(n), "value of a key of " + std::to_string(n) + " bytes");
            const bool put_ok = co_await save_and_check(std::move(c));
            count.record("put key of " + std::to_string(n) + " bytes", put_ok);
            fugu::change_set r;
            r.remove(sized_key(n));
            const bool remove_ok = co_await save_and_check(std::move(r));
            count.record("remove key of " + std::to_string(n) + " bytes", remove_ok);
        }
        {
            fugu::change_set c;
            count.record("put key of max+1 bytes",
                         rejected(c, fugu::errc::key_too_large,
                                  [&] { c.put(sized_key(fugu::max_key_size + 1), "v"); }));
            count.record("remove key of max+1 bytes",
                         rejected(c, fugu::errc::key_too_large,
                                  [&] { c.remove(sized_key(fugu::max_key_size + 1)); }));
        }

        // Value size: 0 bytes is a value, not a removal.
        for (std::size_t n : {std::size_t{0}, std::size_t{1}, fugu::max_value_size}) {
            fugu::change_set c;
            c.put("value" + std::to_string(n), std::string(n, 'v'));
            bool ok = co_await save_and_check(std::move(c));
            if (n == 0) {
                auto snap = co_await st.async_snapshot(asio::use_awaitable);
                ok = ok && snap.contains("value0");
            }
            count.record("value of " + std::to_string(n) + " bytes", ok);
        }
        {
            fugu::change_set c;
            std::string big(fugu::max_value_size + 1, 'v');
            count.record("value of max+1 bytes",
                         rejected(c, fugu::errc::value_too_large, [&] { c.put("big", big); }));
        }

        // Entries: an empty change set completes at once with the newest sequence and
        // writes nothing.
        {
            auto before = co_await st.async_snapshot(asio::use_awaitable);
            const std::uint64_t written = mem->bytes_used();
            auto [ec, seq] = co_await st.async_save(fugu::change_set{}, asio::as_tuple(asio::use_awaitable));
            INFO("empty save: ec=" << ec.message() << " seq=" << seq << " snapshot=" << before.sequence()
                                   << " bytes " << written << " -> " << mem->bytes_used());
            count.record("change set of 0 entries",
                         !ec && seq == before.sequence() && mem->bytes_used() == written);
        }
        {
            fugu::change_set c;
            c.put("one entry", "x");
            const bool ok = co_await save_and_check(std::move(c));
            count.record("change set of 1 entry", ok);
        }
        {
            fugu::change_set c;
            for (std::size_t i = 0; i < fugu::max_change_set_entries; ++i) c.put(numbered_key(i), "");
            count.record("change set of max+1 entries",
                         rejected(c, fugu::errc::change_set_too_large,
                                  [&] { c.remove(numbered_key(fugu::max_change_set_entries)); }));
            auto before = co_await st.async_snapshot(asio::use_awaitable);
            const std::size_t had = before.size();
            bool ok = co_await save_and_check(std::move(c));
            auto after = co_await st.async_snapshot(asio::use_awaitable);
            count.record("change set of max entries",
                         ok && after.size() == had + fugu::max_change_set_entries);
        }

        // Bytes (keys + values + 16 per entry). 0 bytes is the empty change set above; the
        // smallest non-empty one is an empty key with an empty value: 16 bytes, then one more.
        {
            fugu::change_set c;
            c.put("", "");
            const bool sized = c.byte_size() == 16;
            const bool saved = co_await save_and_check(std::move(c));
            const bool ok = sized && saved;
            count.record("change set of 16 bytes (smallest)", ok);
        }
        {
            fugu::change_set c;
            c.put("", "1");
            const bool sized = c.byte_size() == 17;
            const bool saved = co_await save_and_check(std::move(c));
            const bool ok = sized && saved;
            count.record("change set of 17 bytes", ok);
        }
        {
            // Exactly max: two values (each within max_value_size) and a 16-byte entry.
            const std::size_t first = fugu::max_value_size;
            const std::size_t second = fugu::max_change_set_size - 16 - (1 + first + 16) - (1 + 16);
            fugu::change_set over;
            over.put("a", std::string(first, 'a'));
            over.put("b", std::string(second + 1, 'b'));  // one byte more than below
            count.record("change set of max+1 bytes",
                         over.byte_size() == fugu::max_change_set_size - 16 + 1 &&
                             rejected(over, fugu::errc::change_set_too_large,
                                      [&] { over.put("", ""); }));
            over = fugu::change_set{};  // clear() would keep its 128 MiB
            fugu::change_set c;
            c.put("a", std::string(first, 'a'));
            c.put("b", std::string(second, 'b'));
            c.put("", "");
            const bool sized = c.byte_size() == fugu::max_change_set_size;
            const bool saved = co_await save_and_check(std::move(c));
            const bool ok = sized && saved;
            count.record("change set of max bytes", ok);
        }

        // Everything saved is still there after a reopen.
        co_await st.async_close(asio::use_awaitable);
        st = co_await fugu::store::async_open(ex, mem, o, asio::use_awaitable);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        auto v = co_await snap.async_read(sized_key(fugu::max_key_size), asio::use_awaitable);
        CHECK_FALSE(v.has_value());  // put, then removed
        const std::string big_key = "value" + std::to_string(fugu::max_value_size);
        auto big = co_await snap.async_read(big_key, asio::use_awaitable);
        CHECK((big && big->size() == fugu::max_value_size));
        CHECK(snap.contains(numbered_key(fugu::max_change_set_entries - 1)));
        co_await st.async_close(asio::use_awaitable);
    });
    std::printf("limits: cases=%d as_documented=%d\n", count.cases, count.as_documented);
    CHECK(count.cases == 20);
    CHECK(count.as_documented == count.cases);
}
