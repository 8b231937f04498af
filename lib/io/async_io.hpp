// SPDX-License-Identifier: MIT
// Completion-token front ends for io_engine, so callers can write
// `co_await async_write(engine, fd, off, bytes, true, use_awaitable)` or pass any other
// Asio token. Stateless: the engine and the caller's buffers are borrowed.
#pragma once

#include "io/io_engine.hpp"

#include <boost/asio/async_result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace fugu::detail {

namespace io_initiation {

struct write {
    io_engine* engine;
    int fd;
    std::uint64_t offset;
    std::span<const std::byte> data;
    bool sync;

    template <class Handler>
    void operator()(Handler&& h) const {
        engine->async_write(fd, offset, data, sync, std::forward<Handler>(h));
    }
};

struct read {
    io_engine* engine;
    int fd;
    std::uint64_t offset;
    std::span<std::byte> out;

    template <class Handler>
    void operator()(Handler&& h) const {
        engine->async_read(fd, offset, out, std::forward<Handler>(h));
    }
};

struct sync {
    io_engine* engine;
    int fd;

    template <class Handler>
    void operator()(Handler&& h) const {
        engine->async_sync(fd, std::forward<Handler>(h));
    }
};

}  // namespace io_initiation

// REQUIRES (all three): `engine`, `fd` and the buffer stay valid until completion.
template <boost::asio::completion_token_for<void(error_code)> Token>
auto async_write(io_engine& engine,
                 int fd,
                 std::uint64_t offset,
                 std::span<const std::byte> data,
                 bool sync,
                 Token&& token) {
    return boost::asio::async_initiate<Token, void(error_code)>(
        io_initiation::write{&engine, fd, offset, data, sync}, token);
}

template <boost::asio::completion_token_for<void(error_code, std::size_t)> Token>
auto async_read(
    io_engine& engine, int fd, std::uint64_t offset, std::span<std::byte> out, Token&& token) {
    return boost::asio::async_initiate<Token, void(error_code, std::size_t)>(
        io_initiation::read{&engine, fd, offset, out}, token);
}

template <boost::asio::completion_token_for<void(error_code)> Token>
auto async_sync(io_engine& engine, int fd, Token&& token) {
    return boost::asio::async_initiate<Token, void(error_code)>(io_initiation::sync{&engine, fd},
                                                                token);
}

}  // namespace fugu::detail
