// SPDX-License-Identifier: MIT
// Reads from slab maps: what file_slab::mapped hands out as a slab grows; values read
// through maps of slabs that compaction retired while a snapshot still held them, and the
// maps gone once the slabs are; damage behind an open store's back still reported as
// corruption, never returned; store::async_get seeing every completed save.
#include "storage/file_slab.hpp"
#include "storage/slab_await.hpp"
#include "storage/storage_test_util.hpp"
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
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using fugu::test::run_coro;
using fugu::test::slab_files;

std::string key_of(int i) {
    char k[17];
    std::snprintf(k, sizeof k, "%016d", i);
    return k;
}

std::string value_of(int i, int round) {
    return "value-" + std::to_string(round) + "-" + key_of(i) + std::string(900, 'a' + i % 26);
}

// Paths of this process's file maps, from /proc/self/maps (empty where there is none).
std::vector<std::string> mapped_paths() {
    std::vector<std::string> out;
    std::ifstream in("/proc/self/maps");
    std::string line;
    while (std::getline(in, line)) {
        const auto slash = line.find('/');
        if (slash != std::string::npos) out.push_back(line.substr(slash));
    }
    return out;
}

bool is_mapped(const std::vector<std::string>& maps, const fs::path& p) {
    return std::any_of(maps.begin(), maps.end(),
                       [&](const std::string& m) { return m.rfind(p.string(), 0) == 0; });
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

asio::awaitable<void> save_all(fugu::store& st, int n, int round) {
    for (int i = 0; i < n; i += 10) {
        fugu::change_set c;
        for (int j = i; j < std::min(n, i + 10); ++j) c.put(key_of(j), value_of(j, round));
        co_await st.async_save(std::move(c), asio::use_awaitable);
    }
}

asio::awaitable<void> check_all(const fugu::snapshot& snap, int n, int round) {
    for (int i = 0; i < n; ++i) {
        auto v = co_await snap.async_read(key_of(i), asio::use_awaitable);
        REQUIRE(v.has_value());
        CHECK(*v == value_of(i, round));
    }
}

// Every 37th key through store::async_get, which reads without a snapshot.
asio::awaitable<void> check_gets(fugu::store& st, int n, int round) {
    for (int i = 0; i < n; i += 37) {
        auto v = co_await st.async_get(key_of(i), asio::use_awaitable);
        REQUIRE(v.has_value());
        CHECK(*v == value_of(i, round));
    }
}

// A store in `db` holding keys 0..n-1 of round 0, closed and opened again, so every slab
// but the newest is sealed and reads map them.
asio::awaitable<fugu::store> filled_and_reopened(const fs::path& db, int n) {
    auto ex = co_await asio::this_coro::executor;
    {
        auto st = co_await fugu::store::async_open(ex, db.string(), small_slabs(), asio::use_awaitable);
        co_await save_all(st, n, 0);
        co_await st.async_close(asio::use_awaitable);
    }
    co_return co_await fugu::store::async_open(ex, db.string(), small_slabs(), asio::use_awaitable);
}

}  // namespace

TEST_CASE("a slab map covers the file as mapped, and grows with it", "[storage][mapped]") {
    fugu::test::temp_dir dir;
    run_coro([&](asio::io_context& io) -> asio::awaitable<void> {
        fugu::options o;
        o.io_engine = fugu::test::test_engine();
        fugu::file_storage st(io.get_executor(), (dir.path() / "db").string(), o);
        REQUIRE_FALSE(st.lock());
        auto created = st.create(1, false);
        REQUIRE(created.has_value());
        auto* fs = dynamic_cast<fugu::detail::file_slab*>(created->get());
        REQUIRE(fs != nullptr);
        const std::string first(3000, 'x');
        REQUIRE_FALSE(co_await fugu::test::write_text(**created, 0, first, false));
        auto a = fs->mapped(100, 200);
        REQUIRE(a.size() == 200);
        CHECK(fugu::test::to_text(a) == std::string(200, 'x'));
        // Past the map, and the file has not grown by the 1 MiB that earns a new map:
        // the caller reads through the engine.
        const std::string more(1000, 'y');
        REQUIRE_FALSE(co_await fugu::test::write_text(**created, 3000, more, false));
        CHECK(fs->mapped(2900, 200).empty());
        // Grown enough: mapped again, and the bytes of the first map stay readable.
        const std::string big((std::size_t{1} << 20) + 1, 'z');
        REQUIRE_FALSE(co_await fugu::test::write_text(**created, 4000, big, false));
        auto b = fs->mapped(2900, 200);
        REQUIRE(b.size() == 200);
        CHECK(fugu::test::to_text(b) == std::string(100, 'x') + std::string(100, 'y'));
        CHECK(fugu::test::to_text(a) == std::string(200, 'x'));
        CHECK(fugu::test::to_text(fs->mapped(4000 + big.size() - 10, 10)) == std::string(10, 'z'));
        created->reset();
        st.unlock();
    });
}

TEST_CASE("options::mapped_reads = false maps nothing; reads go through the engine",
          "[storage][mapped][engine]") {
    fugu::test::temp_dir dir;
    const fs::path db = dir.path() / "db";
    run_coro([&](asio::io_context& io) -> asio::awaitable<void> {
        fugu::options o = small_slabs();
        o.mapped_reads = false;
        auto st = co_await fugu::store::async_open(io.get_executor(), db.string(), o, asio::use_awaitable);
        co_await save_all(st, 200, 0);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        co_await check_all(snap, 200, 0);
        co_await check_gets(st, 200, 0);
        const auto maps = mapped_paths();
        for (const auto& f : slab_files(db)) CHECK_FALSE(is_mapped(maps, f));
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("a snapshot reads retired slabs through their maps; their maps go with them",
          "[store][mapped][compaction]") {
    fugu::test::temp_dir dir;
    const fs::path db = dir.path() / "db";
    constexpr int n = 600;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto st = co_await filled_and_reopened(db, n);
        const auto first_slabs = slab_files(db);
        REQUIRE(first_slabs.size() > 3);
        auto held = co_await st.async_snapshot(asio::use_awaitable);
        co_await check_all(held, n, 0);
        auto maps = mapped_paths();
        if (std::find_if(first_slabs.begin(), first_slabs.end(),
                         [&](const fs::path& p) { return is_mapped(maps, p); }) == first_slabs.end()) {
            WARN("no slab was mapped (no /proc/self/maps or no mmap): the engine path was tested");
        }
        // Every key overwritten, then merged: the old slabs hold nothing live.
        co_await save_all(st, n, 1);
        for (int i = 0; i < 4; ++i) co_await st.async_compact(asio::use_awaitable);
        REQUIRE(st.stats().compactions > 0);
        // The held snapshot still reads the old values, from the retired slabs.
        co_await check_all(held, n, 0);
        {
            auto now = co_await st.async_snapshot(asio::use_awaitable);
            co_await check_all(now, n, 1);
        }
        co_await check_gets(st, n, 1);
        // Released: the retired slabs are deleted, and no map of them is left.
        held = fugu::snapshot{};
        co_await st.async_compact(asio::use_awaitable);
        const auto after = slab_files(db);
        std::vector<fs::path> gone;
        std::set_difference(first_slabs.begin(), first_slabs.end(), after.begin(), after.end(),
                            std::back_inserter(gone));
        CHECK_FALSE(gone.empty());
        maps = mapped_paths();
        for (const auto& p : gone) {
            INFO(p.string());
            CHECK_FALSE(is_mapped(maps, p));
        }
        {
            auto now = co_await st.async_snapshot(asio::use_awaitable);
            co_await check_all(now, n, 1);
        }
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("damage to a mapped slab behind the store's back is corruption, never returned",
          "[store][mapped][engine]") {
    fugu::test::temp_dir dir;
    const fs::path db = dir.path() / "db";
    constexpr int n = 200;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto st = co_await filled_and_reopened(db, n);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        co_await check_all(snap, n, 0);  // maps the slabs
        // Find the victim's value in the oldest slab and flip one of its bytes in place.
        const auto victim = 3;
        const fs::path file = slab_files(db).at(0);
        const auto at = fugu::test::flip_byte_after(file, value_of(victim, 0).substr(0, 30), 100);
        for (int pass = 0; pass < 2; ++pass) {
            fugu::diagnostics diag;
            auto [ec, v] = pass == 0
                ? co_await snap.async_read(key_of(victim), diag, asio::as_tuple(asio::use_awaitable))
                : co_await st.async_get(key_of(victim), diag, asio::as_tuple(asio::use_awaitable));
            CHECK(ec == fugu::errc::corruption);
            CHECK_FALSE(v.has_value());
            CHECK(diag.file() == file.string());
            CHECK(diag.offset() <= at);
            CHECK(diag.offset() + 1000 > at);
            CHECK(diag.message().find(file.string()) != std::string::npos);
        }
        // The other values are untouched and still served.
        auto other = co_await snap.async_read(key_of(victim + 1), asio::use_awaitable);
        CHECK(other == value_of(victim + 1, 0));
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("store::async_get sees every completed save, with saves and gets interleaved",
          "[store][mapped]") {
    fugu::test::temp_dir dir;
    const fs::path db = dir.path() / "db";
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto st = co_await fugu::store::async_open(ex, db.string(), small_slabs(), asio::use_awaitable);
        for (int i = 0; i < 300; ++i) {
            fugu::change_set c;
            c.put(key_of(i % 50), value_of(i, i));
            if (i % 7 == 3) c.remove(key_of((i + 20) % 50));
            co_await st.async_save(std::move(c), asio::use_awaitable);
            auto v = co_await st.async_get(key_of(i % 50), asio::use_awaitable);
            REQUIRE(v.has_value());
            CHECK(*v == value_of(i, i));
            if (i % 7 == 3) {
                auto gone = co_await st.async_get(key_of((i + 20) % 50), asio::use_awaitable);
                CHECK_FALSE(gone.has_value());
            }
        }
        co_await st.async_close(asio::use_awaitable);
        auto [ec, v] = co_await st.async_get(key_of(1), asio::as_tuple(asio::use_awaitable));
        CHECK(ec == fugu::errc::store_closed);
    });
}
