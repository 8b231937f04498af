// SPDX-License-Identifier: MIT
// Where and when the engine of the current suite completes: on the handler's own
// executor and never inside the initiating call, with work held so io_context::run()
// waits, from many threads at once, and after the last user released the engine.
#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "test/io/engine_fixture.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;
using fugu::test::file_fd;
using fugu::test::pattern;

TEST_CASE("many small writes in flight at once all land, and run() waits for them",
          "[io][engine]") {
    // More requests than the io_uring engine lets into the kernel at once, so some wait
    // in its queue; every tenth is synced.
    constexpr std::size_t count = 2000;
    constexpr std::size_t size = 140;
    fugu::test::temp_dir dir;
    file_fd f(dir / "many", O_RDWR | O_CREAT);
    std::vector<std::vector<std::byte>> recs;
    for (std::size_t i = 0; i < count; ++i) recs.push_back(pattern(size, static_cast<unsigned>(i)));

    asio::io_context ctx;
    auto engine = fugu::test::make_test_engine(ctx.get_executor());
    std::size_t done = 0;
    std::size_t failed = 0;
    for (std::size_t i = 0; i < count; ++i) {
        engine->async_write(f.get(), i * size, recs[i], i % 10 == 0, [&](error_code ec) {
            ++done;
            if (ec) ++failed;
        });
    }
    CHECK(done == 0);
    ctx.run();  // returns only when every handler ran: the engine holds work until then
    CHECK(done == count);
    CHECK(failed == 0);
    auto whole = fugu::test::read_whole(dir / "many");
    REQUIRE(whole.size() == count * size);
    for (std::size_t i = 0; i < count; ++i) {
        INFO("record " << i);
        REQUIRE(std::equal(recs[i].begin(), recs[i].end(), whole.begin() + i * size));
    }
}

TEST_CASE("handlers run on their associated strand and never inside the initiating call",
          "[io][engine]") {
    fugu::test::temp_dir dir;
    file_fd f(dir / "strand", O_RDWR | O_CREAT);
    const auto rec = pattern(4096, 1);
    std::vector<std::byte> back(4096);

    asio::io_context ctx;
    auto engine = fugu::test::make_test_engine(ctx.get_executor());
    auto strand = asio::make_strand(ctx);
    int on_strand = 0;
    int inline_calls = 0;
    int calls = 0;
    bool returned = false;
    bool read_returned = false;
    asio::post(ctx, [&] {
        engine->async_write(f.get(), 0, rec, true, asio::bind_executor(strand, [&](error_code ec) {
                                CHECK_FALSE(ec);
                                ++calls;
                                if (strand.running_in_this_thread()) ++on_strand;
                                if (!returned) ++inline_calls;
                                // Chain a read from inside the handler, as callers do.
                                auto on_read = [&](error_code rec_ec, std::size_t n) {
                                    CHECK_FALSE(rec_ec);
                                    CHECK(n == back.size());
                                    ++calls;
                                    if (strand.running_in_this_thread()) ++on_strand;
                                    if (!read_returned) ++inline_calls;
                                };
                                engine->async_read(f.get(), 0, back,
                                                   asio::bind_executor(strand, on_read));
                                read_returned = true;
                            }));
        returned = true;
    });
    ctx.run();
    CHECK(calls == 2);
    CHECK(on_strand == 2);
    CHECK(inline_calls == 0);
    CHECK(back == rec);
}

TEST_CASE("a handler bound to another io_context keeps that context running until it completes",
          "[io][engine]") {
    fugu::test::temp_dir dir;
    file_fd f(dir / "other", O_RDWR | O_CREAT);
    const auto rec = pattern(4096, 2);

    asio::io_context engine_ctx;
    auto guard = asio::make_work_guard(engine_ctx);
    std::thread engine_thread([&] { engine_ctx.run(); });
    auto engine = fugu::test::make_test_engine(engine_ctx.get_executor());

    asio::io_context handler_ctx;
    bool ran_here = false;
    engine->async_write(f.get(), 0, rec, true, asio::bind_executor(handler_ctx, [&](error_code ec) {
                            CHECK_FALSE(ec);
                            ran_here = handler_ctx.get_executor().running_in_this_thread();
                        }));
    handler_ctx.run();  // without the engine's outstanding work this would return at once
    CHECK(ran_here);

    engine.reset();
    guard.reset();
    engine_thread.join();
}

TEST_CASE("operations started from several threads of a four-thread io_context all complete",
          "[io][engine]") {
    constexpr std::size_t starters = 8;
    constexpr std::size_t per_starter = 250;
    constexpr std::size_t size = 100 + 40;
    fugu::test::temp_dir dir;
    file_fd f(dir / "threads", O_RDWR | O_CREAT);
    std::vector<std::vector<std::byte>> recs;
    for (std::size_t i = 0; i < starters * per_starter; ++i) {
        recs.push_back(pattern(size, static_cast<unsigned>(i)));
    }

    asio::io_context ctx(4);
    auto engine = fugu::test::make_test_engine(ctx.get_executor());
    std::atomic<std::size_t> done{0};
    std::atomic<std::size_t> failed{0};
    auto start = [&](std::size_t s) {
        for (std::size_t j = 0; j < per_starter; ++j) {
            std::size_t i = s * per_starter + j;
            engine->async_write(f.get(), i * size, recs[i], j % 50 == 0, [&](error_code ec) {
                if (ec) failed.fetch_add(1);
                done.fetch_add(1);
            });
        }
    };
    // Half the starters run as handlers on the io_context's own threads, half on plain
    // threads outside it, all while the four threads are reaping.
    auto guard = asio::make_work_guard(ctx);
    std::vector<std::thread> runners;
    for (int t = 0; t < 4; ++t) runners.emplace_back([&] { ctx.run(); });
    std::vector<std::thread> outsiders;
    for (std::size_t s = 0; s < starters; ++s) {
        if (s % 2 == 0) {
            asio::post(ctx, [&start, s] { start(s); });
        } else {
            outsiders.emplace_back(start, s);
        }
    }
    for (auto& t : outsiders) t.join();
    guard.reset();
    for (auto& t : runners) t.join();

    CHECK(done.load() == starters * per_starter);
    CHECK(failed.load() == 0);
    auto whole = fugu::test::read_whole(dir / "threads");
    REQUIRE(whole.size() == starters * per_starter * size);
    for (std::size_t i = 0; i < recs.size(); ++i) {
        INFO("record " << i);
        REQUIRE(std::equal(recs[i].begin(), recs[i].end(), whole.begin() + i * size));
    }
}

TEST_CASE("operations complete after the engine's last user let go of it", "[io][engine]") {
    fugu::test::temp_dir dir;
    file_fd out(dir / "orphan", O_RDWR | O_CREAT);
    file_fd in(dir / "source", O_RDWR | O_CREAT);
    const auto rec = pattern(64 * 1024, 3);
    REQUIRE(::pwrite(in.get(), rec.data(), rec.size(), 0) == static_cast<ssize_t>(rec.size()));
    std::vector<std::byte> back(rec.size());

    asio::io_context ctx;
    auto engine = fugu::test::make_test_engine(ctx.get_executor());
    std::weak_ptr<fugu::detail::io_engine> watch = engine;
    error_code write_ec = asio::error::would_block;
    error_code read_ec = asio::error::would_block;
    std::size_t read_n = 0;
    engine->async_write(out.get(), 0, rec, true, [&](error_code ec) { write_ec = ec; });
    engine->async_read(in.get(), 0, back, [&](error_code ec, std::size_t n) {
        read_ec = ec;
        read_n = n;
    });
    engine.reset();
    ctx.run();
    CHECK_FALSE(write_ec);
    CHECK_FALSE(read_ec);
    CHECK(read_n == rec.size());
    CHECK(back == rec);
    CHECK(watch.expired());
    CHECK(fugu::test::read_whole(dir / "orphan") == rec);
}

TEST_CASE("destroying the io_context with a write in flight still lands the write",
          "[io][engine]") {
    fugu::test::temp_dir dir;
    file_fd f(dir / "abandoned", O_RDWR | O_CREAT);
    const auto rec = pattern(4096, 4);
    bool called = false;
    {
        asio::io_context ctx;
        auto engine = fugu::test::make_test_engine(ctx.get_executor());
        engine->async_write(f.get(), 0, rec, true, [&](error_code) { called = true; });
        engine.reset();
    }
    // The io_context never ran, so the handler was destroyed, not called; but the
    // engine waited for the kernel before letting the buffer go.
    CHECK_FALSE(called);
    CHECK(fugu::test::read_whole(dir / "abandoned") == rec);
}
