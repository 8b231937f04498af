// SPDX-License-Identifier: MIT
// fault_storage, the crash-test storage: which bytes survive a power cut (drop, keep,
// tear), when a sync covers a write, injected failures, power cuts and the op log.
#include "storage/slab_await.hpp"
#include "storage/storage_test_util.hpp"
#include "support/fault_storage.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using fugu::test::crash_mode;
using fugu::test::fault_op;
using fugu::test::fault_storage;
using fugu::test::to_bytes;
using fugu::test::to_text;

const fugu::error_code eio{EIO, boost::system::system_category()};
const fugu::error_code enospc{ENOSPC, boost::system::system_category()};

std::string text_of(const std::optional<std::vector<std::byte>>& b) {
    REQUIRE(b);
    return to_text(*b);
}

// Slab 1: "synced" durable, then " pending" written without a sync.
asio::awaitable<void> synced_then_unsynced(fault_storage& st) {
    auto s = st.create(1, false);
    REQUIRE(s.has_value());
    auto ec = co_await fugu::test::write_text(**s, 0, "synced", true);
    REQUIRE_FALSE(ec);
    ec = co_await fugu::test::write_text(**s, 6, " pending", false);
    REQUIRE_FALSE(ec);
}

std::shared_ptr<fault_storage> image_of(fault_storage& st,
                                        crash_mode mode,
                                        std::uint64_t seed = 0) {
    auto img = st.crash_image(mode, seed);
    REQUIRE(img);
    return img;
}

}  // namespace

TEST_CASE("a drop crash image keeps only synced bytes", "[storage]") {
    asio::io_context ctx;
    fault_storage st(ctx.get_executor());
    REQUIRE_FALSE(st.lock());
    fugu::test::run_coro(ctx, synced_then_unsynced(st));
    CHECK(text_of(st.contents(1)) == "synced pending");
    CHECK(text_of(st.durable_contents(1)) == "synced");

    auto img = image_of(st, crash_mode::drop);
    CHECK(text_of(img->contents(1)) == "synced");
    CHECK(text_of(img->durable_contents(1)) == "synced");
    REQUIRE_FALSE(img->lock());  // a fresh, unlocked storage
    auto s = img->open(1);
    REQUIRE(s.has_value());
    CHECK((*s)->size() == 6);
}

TEST_CASE("a keep crash image holds every written byte", "[storage]") {
    asio::io_context ctx;
    fault_storage st(ctx.get_executor());
    REQUIRE_FALSE(st.lock());
    fugu::test::run_coro(ctx, synced_then_unsynced(st));
    CHECK(text_of(image_of(st, crash_mode::keep)->contents(1)) == "synced pending");
}

TEST_CASE("a sync covers only writes that completed before it started", "[storage]") {
    asio::io_context ctx;
    fault_storage st(ctx.get_executor());
    REQUIRE_FALSE(st.lock());
    auto s = st.create(1, false);
    REQUIRE(s.has_value());
    const auto data = to_bytes("early");
    int done = 0;
    // The sync starts while the write's handler has not run: it must not cover it.
    (*s)->async_write(0, data, false, [&](fugu::error_code ec) { done += !ec; });
    (*s)->async_sync([&](fugu::error_code ec) { done += !ec; });
    ctx.run();
    REQUIRE(done == 2);
    CHECK(text_of(st.durable_contents(1)).empty());
    // Now the write has completed, so the next sync covers it.
    ctx.restart();
    (*s)->async_sync([&](fugu::error_code ec) { done += !ec; });
    ctx.run();
    CHECK(done == 3);
    CHECK(text_of(st.durable_contents(1)) == "early");
}

namespace {

asio::awaitable<void> appended_blocks(fault_storage& st, std::vector<std::byte>& all) {
    auto s = st.create(1, false);
    REQUIRE(s.has_value());
    // 3000 synced bytes, then 10000 unsynced ones in three writes.
    all.resize(13000);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::byte>('a' + i % 26);
    const std::span<const std::byte> bytes(all);
    auto ec = co_await fugu::test::write_at(**s, 0, bytes.first(3000), true);
    REQUIRE_FALSE(ec);
    ec = co_await fugu::test::write_at(**s, 3000, bytes.subspan(3000, 4000), false);
    REQUIRE_FALSE(ec);
    ec = co_await fugu::test::write_at(**s, 7000, bytes.subspan(7000, 5000), false);
    REQUIRE_FALSE(ec);
    ec = co_await fugu::test::write_at(**s, 12000, bytes.subspan(12000), false);
    REQUIRE_FALSE(ec);
}

}  // namespace

TEST_CASE("a tear crash image keeps synced bytes and cuts unsynced ones at a sector", "[storage]") {
    asio::io_context ctx;
    fault_storage st(ctx.get_executor());
    REQUIRE_FALSE(st.lock());
    std::vector<std::byte> all;
    fugu::test::run_coro(ctx, appended_blocks(st, all));

    std::set<std::size_t> sizes;
    int torn = 0, whole = 0;
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        INFO("seed " << seed);
        const auto img = *image_of(st, crash_mode::tear, seed)->contents(1);
        CHECK(img == *image_of(st, crash_mode::tear, seed)->contents(1));  // reproducible
        REQUIRE(img.size() >= 3000);
        REQUIRE(img.size() <= all.size());
        CHECK(std::equal(all.begin(), all.begin() + 3000, img.begin()));  // synced bytes intact
        // The bytes that match form a prefix ending on a sector boundary (or the end);
        // anything after it is one torn sector.
        const auto mismatch = std::mismatch(img.begin(), img.end(), all.begin()).first;
        const auto good = static_cast<std::size_t>(mismatch - img.begin());
        if (good == img.size()) {
            ++whole;
        } else {
            ++torn;
            const bool at_512 = good % 512 == 0 || (good < 3000 + 512);
            CHECK(at_512);
            CHECK(img.size() - (good / 512 * 512) <= 4096);
        }
        sizes.insert(img.size());
    }
    CHECK(torn > 0);
    CHECK(whole > 0);
    CHECK(sizes.size() > 5);
}

TEST_CASE("fail_at fails one operation, or every later one when persistent", "[storage]") {
    asio::io_context ctx;
    fault_storage st(ctx.get_executor());
    REQUIRE_FALSE(st.lock());
    REQUIRE(st.create(1, false).has_value());  // op 1
    st.fail_at(2, enospc);
    CHECK(st.create(2, false).error() == boost::system::errc::no_space_on_device);  // op 2
    CHECK(st.create(3, false).has_value());                                         // op 3
    CHECK(st.op_count() == 3);
    auto l = st.list();
    REQUIRE(l.has_value());
    CHECK(l->size() == 2);  // the failed create changed nothing

    st.fail_at(5, eio, true);
    CHECK(st.open(1).has_value());                                // op 4
    CHECK(st.open(1).error() == boost::system::errc::io_error);   // op 5
    CHECK(st.publish(9) == boost::system::errc::io_error);        // op 6
    CHECK(st.remove(1, false) == boost::system::errc::io_error);  // op 7
    CHECK(st.contents(1));
    st.clear_faults();
    CHECK_FALSE(st.remove(1, false));  // op 8
    CHECK_FALSE(st.contents(1));
}

namespace {

asio::awaitable<void> short_write(fault_storage& st) {
    auto s = st.create(1, false);  // op 1
    REQUIRE(s.has_value());
    st.fail_at(2, eio, false, 3);
    auto ec = co_await fugu::test::write_text(**s, 0, "abcdef", true);  // op 2
    CHECK(ec == eio);
    CHECK(text_of(st.contents(1)) == "abc");         // the prefix landed
    CHECK(text_of(st.durable_contents(1)).empty());  // but its sync failed
    ec = co_await fugu::test::sync_slab(**s);        // op 3
    REQUIRE_FALSE(ec);
    CHECK(text_of(st.durable_contents(1)) == "abc");

    st.fail_at(4, eio);
    ec = co_await fugu::test::sync_slab(**s);  // op 4: a failed sync
    CHECK(ec == eio);
    std::vector<std::byte> out(8);
    st.fail_at(5, eio);
    auto r = co_await fugu::test::read_at(**s, 0, out);  // op 5
    CHECK(r.ec == eio);
    CHECK(r.bytes == 0);
}

}  // namespace

TEST_CASE("a failing write can land a prefix of its bytes", "[storage]") {
    asio::io_context ctx;
    fault_storage st(ctx.get_executor());
    REQUIRE_FALSE(st.lock());
    fugu::test::run_coro(ctx, short_write(st));
    const auto log = st.op_log();
    REQUIRE(log.size() == 5);
    CHECK(log[1].kind == fault_op::write);
    CHECK(log[1].length == 6);
    CHECK(log[1].sync);
    CHECK(log[1].result == eio);
    CHECK(to_string(log[1]) == "#2 write slab 1 @0+6 sync: " + eio.message());
}

namespace {

asio::awaitable<void> power_cut(fault_storage& st) {
    auto s = st.create(1, false);  // op 1
    REQUIRE(s.has_value());
    auto ec = co_await fugu::test::write_text(**s, 0, "before", true);  // op 2
    REQUIRE_FALSE(ec);
    ec = co_await fugu::test::write_text(**s, 6, " cut", false);  // op 3
    REQUIRE_FALSE(ec);
    st.power_cut_at(4);
    CHECK_FALSE(st.power_lost());
    ec = co_await fugu::test::write_text(**s, 10, " after", true);  // op 4
    CHECK(ec == eio);
    CHECK(st.power_lost());
    ec = co_await fugu::test::sync_slab(**s);
    CHECK(ec == eio);
    CHECK(st.create(2, false).error() == eio);
    CHECK(st.remove(1, false) == eio);
    CHECK(st.list().error() == eio);
}

}  // namespace

TEST_CASE("a power cut fails that operation and every later one and changes nothing", "[storage]") {
    asio::io_context ctx;
    fault_storage st(ctx.get_executor());
    REQUIRE_FALSE(st.lock());
    fugu::test::run_coro(ctx, power_cut(st));
    CHECK(text_of(st.contents(1)) == "before cut");
    CHECK(text_of(st.durable_contents(1)) == "before");
    CHECK(st.op_count() == 7);

    auto img = image_of(st, crash_mode::drop);
    CHECK_FALSE(img->power_lost());
    REQUIRE_FALSE(img->lock());
    CHECK(img->op_count() == 0);
    auto l = img->list();
    REQUIRE(l.has_value());
    REQUIRE(l->size() == 1);
    CHECK(text_of(img->contents(1)) == "before");
}

TEST_CASE("an unsynced temporary name may vanish in a crash, a published one never", "[storage]") {
    asio::io_context ctx;
    fault_storage st(ctx.get_executor());
    REQUIRE_FALSE(st.lock());
    REQUIRE(st.create(1, true).has_value());
    CHECK_FALSE(image_of(st, crash_mode::drop)->contents(1, true));
    CHECK(image_of(st, crash_mode::keep)->contents(1, true));
    bool kept = false, lost = false;
    for (std::uint64_t seed = 0; seed < 32; ++seed) {
        (image_of(st, crash_mode::tear, seed)->contents(1, true) ? kept : lost) = true;
    }
    CHECK(kept);
    CHECK(lost);

    REQUIRE(st.create(2, false).has_value());  // its directory sync covers the temporary name too
    CHECK(image_of(st, crash_mode::drop)->contents(1, true));
    REQUIRE(st.create(3, true).has_value());
    REQUIRE_FALSE(st.publish(3));
    auto img = image_of(st, crash_mode::drop);
    CHECK(img->contents(3, false));
    CHECK_FALSE(img->contents(3, true));
    REQUIRE_FALSE(st.remove(2, false));
    CHECK_FALSE(image_of(st, crash_mode::keep)->contents(2, false));
}

namespace {

asio::awaitable<void> truncate_syncs(fault_storage& st) {
    auto s = st.create(1, false);
    REQUIRE(s.has_value());
    auto ec = co_await fugu::test::write_text(**s, 0, "0123456789", false);
    REQUIRE_FALSE(ec);
    REQUIRE_FALSE((*s)->truncate(4));
    CHECK((*s)->size() == 4);
    CHECK(text_of(st.durable_contents(1)) == "0123");
    CHECK(text_of(st.contents(1)) == "0123");
}

}  // namespace

TEST_CASE("truncate is durable and makes completed writes durable", "[storage]") {
    asio::io_context ctx;
    fault_storage st(ctx.get_executor());
    REQUIRE_FALSE(st.lock());
    fugu::test::run_coro(ctx, truncate_syncs(st));
    CHECK(st.op_log().back().kind == fault_op::truncate);
}
