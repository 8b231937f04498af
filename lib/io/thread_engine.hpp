// SPDX-License-Identifier: MIT
// The portable I/O engine: blocking pread/pwrite/fdatasync on a small private thread
// pool. The engine owns the pool; in-flight operations own only their handler and the fd
// and buffer the caller keeps alive. Safe to call from any thread.
#pragma once

#include "io/io_engine.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace fugu::detail {

class thread_engine final : public io_engine {
public:
    // `ex` is where handlers without an associated executor of their own complete.
    explicit thread_engine(boost::asio::any_io_executor ex, std::size_t threads = 2);

    // Waits for operations already handed to the pool; their handlers are posted, not
    // dropped. Never runs on a pool thread, because pool work holds no reference to the
    // engine.
    ~thread_engine() override;

    thread_engine(const thread_engine&) = delete;
    thread_engine& operator=(const thread_engine&) = delete;

    std::string_view name() const noexcept override { return "threads"; }

    void async_write(int fd,
                     std::uint64_t offset,
                     std::span<const std::byte> data,
                     bool sync,
                     write_handler handler) override;
    void async_read(int fd,
                    std::uint64_t offset,
                    std::span<std::byte> out,
                    read_handler handler) override;
    void async_sync(int fd, write_handler handler) override;

private:
    boost::asio::any_io_executor ex_;
    boost::asio::thread_pool pool_;
};

// The blocking primitives the pool runs, shared with anything else that needs the same
// retry rules: EINTR is retried, short transfers continue.
error_code pwrite_all(int fd, std::uint64_t offset, std::span<const std::byte> data) noexcept;
// Reads until `out` is full or end of file; `n` is what was read even on error.
error_code pread_full(int fd,
                      std::uint64_t offset,
                      std::span<std::byte> out,
                      std::size_t& n) noexcept;
error_code datasync(int fd) noexcept;

}  // namespace fugu::detail
