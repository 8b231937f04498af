// SPDX-License-Identifier: MIT
// Keeps many operations in flight: `workers` coroutines on the current executor each take
// the next operation number until `total` are done. Used by bench and by check's value
// read-back, whose reads would otherwise wait on one another. Single-threaded: the
// counters are shared by coroutines of one io_context run by one thread.
#pragma once

#include "output.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>

namespace fugu::cli {

// `op(i)` returns an awaitable; the first exception stops the others taking new work and
// is rethrown once all have finished.
template <class Op>
boost::asio::awaitable<void> run_workers(std::uint64_t total, std::uint64_t workers, Op op,
                                         progress& bar) {
    namespace asio = boost::asio;
    auto ex = co_await asio::this_coro::executor;
    std::uint64_t next = 0, done = 0, running = 0;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    std::exception_ptr error;
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < total && !error) {
            const std::uint64_t i = next++;
            co_await op(i);
            bar.update(++done);
        }
    };
    for (std::uint64_t w = 0; w < std::min(workers, total); ++w) {
        ++running;
        auto body = worker();
        asio::co_spawn(ex, std::move(body), [&](std::exception_ptr e) {
            if (e && !error) error = e;
            if (--running == 0) all_done.cancel();
        });
    }
    if (running) {
        auto [ec] = co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
    }
    bar.finish();
    if (error) std::rethrow_exception(error);
}

}  // namespace fugu::cli
