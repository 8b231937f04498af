// SPDX-License-Identifier: MIT
// The thread engine's blocking loops and the posting of their results. See
// thread_engine.hpp for ownership.
#include "io/thread_engine.hpp"

#include "io/page_cache.hpp"
#include "io/completion.hpp"

#include <boost/asio/post.hpp>

#include <cerrno>
#include <utility>

#include <unistd.h>

namespace fugu::detail {
namespace {

error_code last_error() noexcept { return {errno, boost::system::system_category()}; }

}  // namespace

error_code pwrite_all(int fd, std::uint64_t offset, std::span<const std::byte> data) noexcept {
    while (!data.empty()) {
        ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return last_error();
        }
        // A regular file never accepts zero bytes of a non-empty write unless the device
        // is failing; looping would spin forever.
        if (n == 0) return {EIO, boost::system::system_category()};
        data = data.subspan(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
    return {};
}

error_code pread_full(int fd,
                      std::uint64_t offset,
                      std::span<std::byte> out,
                      std::size_t& n) noexcept {
    n = 0;
    while (n < out.size()) {
        ssize_t r = ::pread(fd, out.data() + n, out.size() - n, static_cast<off_t>(offset + n));
        if (r < 0) {
            if (errno == EINTR) continue;
            return last_error();
        }
        if (r == 0) break;  // end of file: the one case a short count is allowed
        n += static_cast<std::size_t>(r);
    }
    return {};
}

error_code datasync(int fd) noexcept {
    // EINTR here means the call was interrupted before it synced, not a write-back
    // failure, so trying again is not the "retry after a failed fsync" that R8 forbids.
    while (::fdatasync(fd) != 0) {
        if (errno != EINTR) return last_error();
    }
    return {};
}

thread_engine::thread_engine(boost::asio::any_io_executor ex, std::size_t threads)
    : ex_(std::move(ex)), pool_(threads == 0 ? 1 : threads) {}

thread_engine::~thread_engine() {
    // join() without stop() lets queued operations run, so every handler still gets
    // posted instead of being destroyed unrun.
    pool_.join();
}

void thread_engine::async_write(int fd,
                                std::uint64_t offset,
                                std::span<const std::byte> data,
                                bool sync,
                                write_handler handler) {
    pending_completion<write_handler> done(std::move(handler), ex_);
    if (!sync) {
        const std::size_t n = write_cached(fd, offset, data);
        if (n == data.size()) {
            std::move(done).complete(error_code{});
            return;
        }
        offset += n;
        data = data.subspan(n);
    }
    auto work = [fd, offset, data, sync, done = std::move(done)]() mutable {
        error_code ec = pwrite_all(fd, offset, data);
        if (!ec && sync) ec = datasync(fd);
        std::move(done).complete_from_outside(ec);
    };
    boost::asio::post(pool_, std::move(work));
}

void thread_engine::async_read(int fd,
                               std::uint64_t offset,
                               std::span<std::byte> out,
                               read_handler handler) {
    pending_completion<read_handler> done(std::move(handler), ex_);
    if (read_cached(fd, offset, out)) {
        std::move(done).complete(error_code{}, out.size());
        return;
    }
    auto work = [fd, offset, out, done = std::move(done)]() mutable {
        std::size_t n = 0;
        error_code ec = pread_full(fd, offset, out, n);
        std::move(done).complete_from_outside(ec, n);
    };
    boost::asio::post(pool_, std::move(work));
}

void thread_engine::async_sync(int fd, write_handler handler) {
    pending_completion<write_handler> done(std::move(handler), ex_);
    auto work = [fd, done = std::move(done)]() mutable {
        std::move(done).complete_from_outside(datasync(fd));
    };
    boost::asio::post(pool_, std::move(work));
}

}  // namespace fugu::detail
