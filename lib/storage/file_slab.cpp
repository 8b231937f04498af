// SPDX-License-Identifier: MIT
// file_slab: slab I/O handed to the engine, with the slab kept alive by each operation
// until its handler has run.
#include "storage/file_slab.hpp"

#include "storage/hooked_handler.hpp"
#include "storage/posix_error.hpp"

#include <cerrno>
#include <limits>
#include <utility>

#include <sys/types.h>
#include <unistd.h>

namespace fugu::detail {

file_slab::file_slab(std::uint64_t id,
                     std::string path,
                     unique_fd fd,
                     std::uint64_t size,
                     std::shared_ptr<io_engine> engine)
    : id_(id),
      path_(std::move(path)),
      fd_(std::move(fd)),
      size_(size),
      engine_(std::move(engine)) {}

void file_slab::grow_to(std::uint64_t end) noexcept {
    std::uint64_t seen = size_.load(std::memory_order_relaxed);
    while (seen < end && !size_.compare_exchange_weak(seen, end, std::memory_order_acq_rel)) {
    }
}

void file_slab::async_write(std::uint64_t offset,
                            std::span<const std::byte> data,
                            bool sync,
                            write_handler handler) {
    auto done = [self = shared_from_this(), end = offset + data.size()](error_code ec) {
        // A failed write may have landed partly; the size then stays what it is known to be.
        if (!ec) self->grow_to(end);
    };
    engine_->async_write(fd_.get(), offset, data, sync,
                         hook_handler(std::move(handler), std::move(done)));
}

void file_slab::async_read(std::uint64_t offset, std::span<std::byte> out, read_handler handler) {
    auto keep = [self = shared_from_this()](error_code, std::size_t) {};
    engine_->async_read(fd_.get(), offset, out, hook_handler(std::move(handler), std::move(keep)));
}

void file_slab::async_sync(write_handler handler) {
    auto keep = [self = shared_from_this()](error_code) {};
    engine_->async_sync(fd_.get(), hook_handler(std::move(handler), std::move(keep)));
}

error_code file_slab::truncate(std::uint64_t new_size) {
    if (new_size > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) {
        return errno_code(EFBIG);
    }
    int rc;
    do rc = ::ftruncate(fd_.get(), static_cast<off_t>(new_size));
    while (rc != 0 && errno == EINTR);
    if (rc != 0) return last_errno_code();
    do rc = ::fdatasync(fd_.get());
    while (rc != 0 && errno == EINTR);
    if (rc != 0) return last_errno_code();
    size_.store(new_size, std::memory_order_release);
    return {};
}

}  // namespace fugu::detail
