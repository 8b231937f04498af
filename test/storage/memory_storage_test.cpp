// SPDX-License-Identifier: MIT
// memory_storage: the slab lifecycle, the lock, data surviving a close and reopen on the
// same object, and completions that never run inside the initiating call.
#include "storage/slab_await.hpp"
#include "storage/storage_test_util.hpp"
#include "support/run_coro.hpp"

#include <fugu/memory_storage.hpp>

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using fugu::test::to_bytes;
using fugu::test::to_text;

asio::awaitable<std::string> read_text(fugu::slab& s, std::uint64_t offset, std::size_t n) {
    std::vector<std::byte> buf(n);
    auto r = co_await fugu::test::read_at(s, offset, buf);
    REQUIRE_FALSE(r.ec);
    buf.resize(r.bytes);
    co_return to_text(buf);
}

asio::awaitable<void> lifecycle(fugu::memory_storage& st) {
    auto s = st.create(1, false);
    REQUIRE(s.has_value());
    CHECK((*s)->name() == "memory:1");
    auto ec = co_await fugu::test::write_text(**s, 0, "abc", true);
    REQUIRE_FALSE(ec);
    ec = co_await fugu::test::write_text(**s, 5, "xyz", false);
    REQUIRE_FALSE(ec);
    ec = co_await fugu::test::sync_slab(**s);
    REQUIRE_FALSE(ec);
    CHECK((*s)->size() == 8);
    auto text = co_await read_text(**s, 0, 100);  // a hole reads as zeros
    CHECK(text == std::string("abc\0\0xyz", 8));
    text = co_await read_text(**s, 8, 4);
    CHECK(text == "");
    text = co_await read_text(**s, 100, 4);
    CHECK(text == "");

    auto t = st.create(2, true);
    REQUIRE(t.has_value());
    ec = co_await fugu::test::write_text(**t, 0, "temp", true);
    REQUIRE_FALSE(ec);
    CHECK(st.open(2).error() == boost::system::errc::no_such_file_or_directory);
    REQUIRE_FALSE(st.publish(2));
    CHECK(st.publish(2) == boost::system::errc::no_such_file_or_directory);
    auto p = st.open(2);
    REQUIRE(p.has_value());
    text = co_await read_text(**p, 0, 10);
    CHECK(text == "temp");
    CHECK(st.bytes_used() == 12);

    CHECK(st.create(1, false).error() == boost::system::errc::file_exists);
    REQUIRE_FALSE(st.remove(1, false));
    CHECK(st.remove(1, false) == boost::system::errc::no_such_file_or_directory);
    text = co_await read_text(**s, 0, 3);  // the open handle still reads
    CHECK(text == "abc");
    auto l = st.list();
    REQUIRE(l.has_value());
    REQUIRE(l->size() == 1);
    CHECK((*l)[0].id == 2);
    CHECK_FALSE((*l)[0].temporary);

    REQUIRE_FALSE((*p)->truncate(2));
    CHECK((*p)->size() == 2);
    text = co_await read_text(**p, 0, 10);
    CHECK(text == "te");
}

}  // namespace

TEST_CASE("memory slabs are created, written, read, published and removed", "[storage]") {
    asio::io_context ctx;
    fugu::memory_storage st(ctx.get_executor());
    CHECK(st.location() == "memory");
    REQUIRE_FALSE(st.lock());
    fugu::test::run_coro(ctx, lifecycle(st));
}

TEST_CASE("memory storage completes through the system executor by default", "[storage]") {
    asio::io_context ctx;
    fugu::memory_storage st;
    REQUIRE_FALSE(st.lock());
    fugu::test::run_coro(ctx, lifecycle(st));
}

TEST_CASE("memory storage is locked once at a time and needs the lock", "[storage]") {
    fugu::memory_storage st;
    CHECK(st.list().error() == fugu::errc::store_closed);
    CHECK(st.create(1, false).error() == fugu::errc::store_closed);
    REQUIRE_FALSE(st.lock());
    CHECK(st.lock() == fugu::errc::store_locked);
    st.unlock();
    CHECK_FALSE(st.lock());
}

namespace {

asio::awaitable<void> write_then_close(std::shared_ptr<fugu::memory_storage> st) {
    REQUIRE_FALSE(st->lock());
    auto s = st->create(7, false);
    REQUIRE(s.has_value());
    auto ec = co_await fugu::test::write_text(**s, 0, "kept", true);
    REQUIRE_FALSE(ec);
    st->unlock();
}

asio::awaitable<void> reopen_and_read(std::shared_ptr<fugu::memory_storage> st) {
    REQUIRE_FALSE(st->lock());
    auto l = st->list();
    REQUIRE(l.has_value());
    REQUIRE(l->size() == 1);
    auto s = st->open(7);
    REQUIRE(s.has_value());
    CHECK((*s)->size() == 4);
    auto text = co_await read_text(**s, 0, 4);
    CHECK(text == "kept");
    st->unlock();
}

}  // namespace

TEST_CASE("slabs survive closing and reopening the same memory storage", "[storage]") {
    asio::io_context ctx;
    auto st = std::make_shared<fugu::memory_storage>(ctx.get_executor());
    fugu::test::run_coro(ctx, write_then_close(st));
    fugu::test::run_coro(ctx, reopen_and_read(st));
}

TEST_CASE("memory slab handlers never run inside the initiating call", "[storage]") {
    asio::io_context ctx;
    fugu::memory_storage st(ctx.get_executor());
    REQUIRE_FALSE(st.lock());
    auto s = st.create(1, false);
    REQUIRE(s.has_value());
    const auto data = to_bytes("x");
    std::vector<std::byte> out(1);
    int done = 0;
    (*s)->async_write(0, data, true, [&](fugu::error_code ec) {
        CHECK_FALSE(ec);
        ++done;
    });
    (*s)->async_sync([&](fugu::error_code ec) {
        CHECK_FALSE(ec);
        ++done;
    });
    (*s)->async_read(0, out, [&](fugu::error_code ec, std::size_t n) {
        CHECK_FALSE(ec);
        CHECK(n == 1);
        ++done;
    });
    CHECK(done == 0);
    ctx.run();
    CHECK(done == 3);
    CHECK(to_text(out) == "x");
}
