// SPDX-License-Identifier: MIT
// Coroutine forms of fugu::slab's handler-based operations for the storage tests. Each
// returns the error as a value, so a test can check failures it injected.
#pragma once

#include <fugu/storage.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace fugu::test {

struct read_outcome {
    error_code ec;
    std::size_t bytes = 0;
};

inline boost::asio::awaitable<error_code> write_at(fugu::slab& s,
                                                   std::uint64_t offset,
                                                   std::span<const std::byte> data,
                                                   bool sync) {
    namespace asio = boost::asio;
    // The initiation and the token are named before the co_await (GCC 12), and the token
    // must be an lvalue for async_initiate.
    auto init = [&s, offset, data, sync](auto handler) {
        s.async_write(offset, data, sync, std::move(handler));
    };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec] = co_await asio::async_initiate<decltype(token), void(error_code)>(init, token);
    co_return ec;
}

// For tests writing literals: `text` must outlive the write (a string literal does).
inline boost::asio::awaitable<error_code> write_text(fugu::slab& s,
                                                     std::uint64_t offset,
                                                     std::string_view text,
                                                     bool sync) {
    const auto bytes = std::as_bytes(std::span(text.data(), text.size()));
    co_return co_await write_at(s, offset, bytes, sync);
}

inline boost::asio::awaitable<error_code> sync_slab(fugu::slab& s) {
    namespace asio = boost::asio;
    auto init = [&s](auto handler) { s.async_sync(std::move(handler)); };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec] = co_await asio::async_initiate<decltype(token), void(error_code)>(init, token);
    co_return ec;
}

inline boost::asio::awaitable<read_outcome> read_at(fugu::slab& s,
                                                    std::uint64_t offset,
                                                    std::span<std::byte> out) {
    namespace asio = boost::asio;
    auto init = [&s, offset, out](auto handler) { s.async_read(offset, out, std::move(handler)); };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, n] =
        co_await asio::async_initiate<decltype(token), void(error_code, std::size_t)>(init, token);
    co_return read_outcome{ec, n};
}

}  // namespace fugu::test
