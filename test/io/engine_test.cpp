// SPDX-License-Identifier: MIT
// Reads, writes and syncs through the engine of the current suite, against real files:
// placement, large and empty transfers, end of file, and how failures surface.
#include <catch2/catch.hpp>

#include "io/async_io.hpp"
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"
#include "test/io/engine_fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <csignal>
#include <vector>

#include <sys/resource.h>

namespace asio = boost::asio;
using boost::system::error_code;
using fugu::detail::io_engine;
using fugu::test::file_fd;
using fugu::test::pattern;

namespace {

asio::awaitable<void> write_at(
    io_engine& e, int fd, std::uint64_t off, std::span<const std::byte> d, bool sync) {
    co_await fugu::detail::async_write(e, fd, off, d, sync, asio::use_awaitable);
}

asio::awaitable<std::vector<std::byte>> read_at(io_engine& e,
                                                int fd,
                                                std::uint64_t off,
                                                std::size_t n) {
    std::vector<std::byte> buf(n);
    std::size_t got = co_await fugu::detail::async_read(e, fd, off, buf, asio::use_awaitable);
    buf.resize(got);
    co_return buf;
}

// Runs `aw` on a fresh io_context with the suite's engine made for it.
template <class F>
auto with_engine(F make) {
    asio::io_context ctx;
    auto engine = fugu::test::make_test_engine(ctx.get_executor());
    return fugu::test::run_coro(ctx, make(*engine));
}

// Each operation's error, as a value.
asio::awaitable<error_code> write_ec(io_engine& e,
                                     int fd,
                                     std::span<const std::byte> d,
                                     bool sync) {
    auto [ec] =
        co_await fugu::detail::async_write(e, fd, 0, d, sync, asio::as_tuple(asio::use_awaitable));
    co_return ec;
}

asio::awaitable<error_code> read_ec(io_engine& e, int fd) {
    std::vector<std::byte> buf(10);
    auto [ec, n] =
        co_await fugu::detail::async_read(e, fd, 0, buf, asio::as_tuple(asio::use_awaitable));
    CHECK(n == 0);
    co_return ec;
}

asio::awaitable<error_code> sync_ec(io_engine& e, int fd) {
    auto [ec] = co_await fugu::detail::async_sync(e, fd, asio::as_tuple(asio::use_awaitable));
    co_return ec;
}

}  // namespace

TEST_CASE("bytes written at several offsets read back in place", "[io][engine]") {
    fugu::test::temp_dir dir;
    file_fd f(dir / "slab", O_RDWR | O_CREAT);
    const auto a = pattern(4096, 1);
    const auto b = pattern(140, 2);
    const auto c = pattern(100, 3);
    with_engine([&](io_engine& e) -> asio::awaitable<void> {
        co_await write_at(e, f.get(), 0, a, false);
        co_await write_at(e, f.get(), 4096, b, false);
        co_await write_at(e, f.get(), 10000, c, false);  // leaves a hole
        auto got_b = co_await read_at(e, f.get(), 4096, b.size());
        CHECK(got_b == b);
        auto got_c = co_await read_at(e, f.get(), 10000, c.size());
        CHECK(got_c == c);
        auto hole = co_await read_at(e, f.get(), 4096 + 140, 10000 - 4096 - 140);
        CHECK(std::all_of(hole.begin(), hole.end(), [](std::byte x) { return x == std::byte{0}; }));
    });
    auto whole = fugu::test::read_whole(dir / "slab");
    REQUIRE(whole.size() == 10100);
    CHECK(std::equal(a.begin(), a.end(), whole.begin()));
    CHECK(std::equal(c.begin(), c.end(), whole.begin() + 10000));
}

TEST_CASE("an 8 MiB write lands in full and reads back in one call", "[io][engine]") {
    fugu::test::temp_dir dir;
    file_fd f(dir / "big", O_RDWR | O_CREAT);
    const auto big = pattern(8u << 20, 9);
    auto back = with_engine([&](io_engine& e) -> asio::awaitable<std::vector<std::byte>> {
        co_await write_at(e, f.get(), 512, big, true);
        co_return co_await read_at(e, f.get(), 512, big.size());
    });
    CHECK(back == big);
    CHECK(std::filesystem::file_size(dir / "big") == big.size() + 512);
}

TEST_CASE("a write with sync and a standalone sync both succeed on a file", "[io][engine]") {
    fugu::test::temp_dir dir;
    file_fd f(dir / "synced", O_RDWR | O_CREAT);
    const auto rec = pattern(4096, 4);
    with_engine([&](io_engine& e) -> asio::awaitable<void> {
        co_await write_at(e, f.get(), 0, rec, true);
        co_await write_at(e, f.get(), 4096, rec, false);
        co_await fugu::detail::async_sync(e, f.get(), asio::use_awaitable);
        // An empty write with sync is just the sync.
        co_await write_at(e, f.get(), 8192, {}, true);
    });
    auto whole = fugu::test::read_whole(dir / "synced");
    REQUIRE(whole.size() == 8192);
    CHECK(std::equal(rec.begin(), rec.end(), whole.begin() + 4096));
}

TEST_CASE("a read past end of file returns a short count", "[io][engine]") {
    fugu::test::temp_dir dir;
    file_fd f(dir / "short", O_RDWR | O_CREAT);
    const auto rec = pattern(100, 5);
    with_engine([&](io_engine& e) -> asio::awaitable<void> {
        co_await write_at(e, f.get(), 0, rec, false);
        auto tail = co_await read_at(e, f.get(), 50, 4096);
        REQUIRE(tail.size() == 50);
        CHECK(std::equal(tail.begin(), tail.end(), rec.begin() + 50));
        auto beyond = co_await read_at(e, f.get(), 200, 10);
        CHECK(beyond.empty());
        auto none = co_await read_at(e, f.get(), 0, 0);
        CHECK(none.empty());
    });
}

TEST_CASE("failures arrive as system error codes", "[io][engine]") {
    fugu::test::temp_dir dir;
    { file_fd create(dir / "ro", O_RDWR | O_CREAT); }
    file_fd ro(dir / "ro", O_RDONLY);
    // A descriptor number far above the lowest free one, so nothing opened later
    // (such as the engine's own ring) takes it over.
    const int closed_fd = ::fcntl(ro.get(), F_DUPFD_CLOEXEC, 900);
    REQUIRE(closed_fd >= 900);
    ::close(closed_fd);
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    file_fd dir_fd(dir.path(), O_RDONLY | O_DIRECTORY);
    const auto rec = pattern(100, 6);
    std::vector<error_code> got;
    with_engine([&](io_engine& e) -> asio::awaitable<void> {
        got.push_back(co_await write_ec(e, ro.get(), rec, false));
        got.push_back(co_await write_ec(e, ro.get(), rec, true));
        got.push_back(co_await read_ec(e, closed_fd));
        got.push_back(co_await read_ec(e, -1));
        got.push_back(co_await read_ec(e, dir_fd.get()));
        got.push_back(co_await sync_ec(e, -1));
        got.push_back(co_await sync_ec(e, pipe_fds[1]));
    });
    REQUIRE(got.size() == 7);
    using boost::system::errc::errc_t;
    CHECK(got[0] == errc_t::bad_file_descriptor);  // write to a read-only fd
    CHECK(got[1] == errc_t::bad_file_descriptor);  // the same with sync: the write's error wins
    CHECK(got[2] == errc_t::bad_file_descriptor);  // read of a closed fd
    CHECK(got[3] == errc_t::bad_file_descriptor);  // read of -1
    CHECK(got[4] == errc_t::is_a_directory);
    CHECK(got[5] == errc_t::bad_file_descriptor);  // fdatasync of -1
    CHECK(got[6] == errc_t::invalid_argument);     // a pipe cannot be synced
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
}

TEST_CASE("a write cut short by the file size limit continues and then fails", "[io][engine]") {
    // RLIMIT_FSIZE makes the kernel accept only the bytes below the limit: a real short
    // write, then EFBIG for the rest. With sync the linked fsync is cancelled in between.
    fugu::test::temp_dir dir;
    file_fd f(dir / "limited", O_RDWR | O_CREAT);
    const auto rec = pattern(8192, 7);
    rlimit old{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim = old;
    lim.rlim_cur = 4096 + 1000;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lim) == 0);
    boost::system::error_code ec;
    with_engine([&](io_engine& e) -> asio::awaitable<void> {
        auto tok = asio::as_tuple(asio::use_awaitable);
        std::tie(ec) = co_await fugu::detail::async_write(e, f.get(), 0, rec, true, tok);
    });
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    CHECK(ec == boost::system::errc::file_too_large);
    auto whole = fugu::test::read_whole(dir / "limited");
    REQUIRE(whole.size() == 5096);
    CHECK(std::equal(whole.begin(), whole.end(), rec.begin()));
}
