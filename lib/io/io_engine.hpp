// SPDX-License-Identifier: MIT
// The slab I/O engine interface: positional reads, writes and fdatasync on file
// descriptors, completed asynchronously. uring_engine drives io_uring; thread_engine does
// the same work on a small thread pool. Engines are safe to call from any thread; each
// handler runs on its associated executor, never inside the initiating call.
#pragma once

#include <fugu/error.hpp>
#include <fugu/options.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace fugu::detail {

class io_engine {
public:
    using write_handler = boost::asio::any_completion_handler<void(error_code)>;
    using read_handler = boost::asio::any_completion_handler<void(error_code, std::size_t)>;

    virtual ~io_engine() = default;

    /// "io_uring" or "threads".
    virtual std::string_view name() const noexcept = 0;

    /// Writes all of `data` at `offset` of `fd`, continuing short writes. With `sync`, an
    /// fdatasync ordered after the write (linked, for io_uring) follows; the handler runs
    /// once both are done, with the first error.
    /// REQUIRES: `fd` and `data` stay valid until the handler runs.
    virtual void async_write(int fd,
                             std::uint64_t offset,
                             std::span<const std::byte> data,
                             bool sync,
                             write_handler handler) = 0;

    /// Reads up to out.size() bytes; a short count only at end of file.
    virtual void async_read(int fd,
                            std::uint64_t offset,
                            std::span<std::byte> out,
                            read_handler handler) = 0;

    /// fdatasync(fd).
    virtual void async_sync(int fd, write_handler handler) = 0;
};

/// The engine chosen for a kind, or why none could be made.
struct io_engine_choice {
    std::shared_ptr<io_engine> engine;  // null when `error` is set
    error_code error;                   // errc::io_engine_unavailable for io_engine::io_uring
    std::string note;                   // why io_uring was not used, when it was not
};

/// Builds an engine. `ex` is where the io_uring engine watches its eventfd; handlers
/// still complete on their own associated executors. For io_engine::automatic a ring is
/// actually created before io_uring is chosen; a failure falls back to threads and says why.
io_engine_choice make_io_engine(const boost::asio::any_io_executor& ex, fugu::io_engine kind);

}  // namespace fugu::detail
