// SPDX-License-Identifier: MIT
// Runs a coroutine to completion on a fresh io_context and rethrows what it threw. The
// one way tests drive asynchronous code: ordering comes from awaited completions.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <functional>
#include <optional>
#include <utility>

namespace fugu::test {

template <class T>
T run_coro(boost::asio::io_context& ctx, boost::asio::awaitable<T> aw) {
    std::exception_ptr error;
    std::optional<T> value;
    boost::asio::co_spawn(ctx, std::move(aw), [&](std::exception_ptr e, T v) {
        error = e;
        if (!e) value.emplace(std::move(v));
    });
    ctx.restart();
    ctx.run();
    if (error) std::rethrow_exception(error);
    return std::move(*value);
}

inline void run_coro(boost::asio::io_context& ctx, boost::asio::awaitable<void> aw) {
    std::exception_ptr error;
    bool done = false;
    boost::asio::co_spawn(ctx, std::move(aw), [&](std::exception_ptr e) {
        error = e;
        done = true;
    });
    ctx.restart();
    ctx.run();
    if (error) std::rethrow_exception(error);
    if (!done) throw std::logic_error("coroutine did not finish: the io_context ran out of work");
}

template <class F>
auto run_coro(F&& make) {
    boost::asio::io_context ctx;
    return run_coro(ctx, std::invoke(std::forward<F>(make), ctx));
}

}  // namespace fugu::test
