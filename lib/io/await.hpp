// SPDX-License-Identifier: MIT
// Coroutine adapters over fugu::slab's handler-based operations, for actors and recovery.
// Each returns the error instead of throwing, so I/O failures stay values in the loops
// that must answer every pending save.
#pragma once

#include <fugu/storage.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace fugu::detail {

inline boost::asio::awaitable<error_code> write_at(fugu::slab& s,
                                                   std::uint64_t offset,
                                                   std::span<const std::byte> data,
                                                   bool sync) {
    namespace asio = boost::asio;
    // Named before the co_await: GCC 12 mishandles lambdas built inside the expression.
    auto init = [&s, offset, data, sync](auto handler) {
        s.async_write(offset, data, sync, std::move(handler));
    };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec] = co_await asio::async_initiate<decltype(token), void(error_code)>(init, token);
    co_return ec;
}

inline boost::asio::awaitable<error_code> sync_slab(fugu::slab& s) {
    namespace asio = boost::asio;
    auto init = [&s](auto handler) { s.async_sync(std::move(handler)); };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec] = co_await asio::async_initiate<decltype(token), void(error_code)>(init, token);
    co_return ec;
}

struct read_result {
    error_code ec;
    std::size_t bytes = 0;
};

inline boost::asio::awaitable<read_result> read_at(fugu::slab& s,
                                                   std::uint64_t offset,
                                                   std::span<std::byte> out) {
    namespace asio = boost::asio;
    auto init = [&s, offset, out](auto handler) {
        s.async_read(offset, out, std::move(handler));
    };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, n] =
        co_await asio::async_initiate<decltype(token), void(error_code, std::size_t)>(init, token);
    co_return read_result{ec, n};
}

}  // namespace fugu::detail
