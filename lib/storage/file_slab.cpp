// SPDX-License-Identifier: MIT
// file_slab: slab I/O handed to the engine, with the slab kept alive by each operation
// until its handler has run.
#include "storage/file_slab.hpp"

#include "storage/hooked_handler.hpp"
#include "storage/posix_error.hpp"

#include <algorithm>
#include <cerrno>
#include <limits>
#include <utility>

#include <sys/types.h>
#include <unistd.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define FUGU_HAVE_MMAP 1
#endif

namespace fugu::detail {

file_slab::file_slab(std::uint64_t id,
                     std::string path,
                     unique_fd fd,
                     std::uint64_t size,
                     std::shared_ptr<io_engine> engine,
                     bool mapped_reads)
    : id_(id),
      path_(std::move(path)),
      fd_(std::move(fd)),
      size_(size),
      engine_(std::move(engine)) {
    // options::mapped_reads = false: the map is never made, every read goes to the engine.
    if (!mapped_reads) next_map_at_.store(std::numeric_limits<std::uint64_t>::max(), std::memory_order_relaxed);
}

file_slab::~file_slab() {
#if defined(FUGU_HAVE_MMAP)
    for (auto* m = maps_.get(); m; m = m->older.get()) {
        ::munmap(const_cast<std::byte*>(m->base), m->length);
    }
#endif
}

std::span<const std::byte> file_slab::map_more(std::uint64_t offset, std::size_t n) const noexcept {
#if defined(FUGU_HAVE_MMAP)
    const std::uint64_t end = offset + n;
    if (this->size() < next_map_at_.load(std::memory_order_relaxed)) return {};
    std::lock_guard lock(map_mu_);
    const mapping* m = map_.load(std::memory_order_relaxed);
    if (!(m && end <= m->length)) {
        const std::uint64_t size = this->size();
        if (size < next_map_at_.load(std::memory_order_relaxed)) return {};
        if (size < end || size > std::numeric_limits<std::size_t>::max()) return {};
        void* p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED, fd_.get(), 0);
        if (p == MAP_FAILED) {
            // Out of address space or a file that cannot be mapped: the engine reads it.
            next_map_at_.store(std::numeric_limits<std::uint64_t>::max(), std::memory_order_relaxed);
            return {};
        }
        auto fresh = std::make_unique<mapping>();
        fresh->base = static_cast<const std::byte*>(p);
        fresh->length = static_cast<std::size_t>(size);
        fresh->older = std::move(maps_);
        maps_ = std::move(fresh);
        m = maps_.get();
        map_.store(m, std::memory_order_release);
        // A slab still being written is mapped again only after it grew by half (at
        // least 1 MiB), so it holds a few maps at most; its newest bytes are read
        // through the engine meanwhile.
        next_map_at_.store(size + std::max<std::uint64_t>(size / 2, std::uint64_t{1} << 20),
                           std::memory_order_relaxed);
    }
    return {m->base + offset, n};
#else
    (void)offset;
    (void)n;
    return {};
#endif
}

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
#if defined(FUGU_HAVE_MMAP)
    // Bytes of a map past the end of the file fault (SIGBUS): no read may use a map
    // longer than the file. Only opening a store truncates, before any read.
    std::lock_guard lock(map_mu_);
    const mapping* m = map_.load(std::memory_order_relaxed);
    if (m && m->length > new_size) {
        map_.store(nullptr, std::memory_order_release);
        next_map_at_.store(std::numeric_limits<std::uint64_t>::max(), std::memory_order_relaxed);
    }
#endif
    return {};
}

}  // namespace fugu::detail
