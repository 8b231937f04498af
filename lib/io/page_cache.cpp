// SPDX-License-Identifier: MIT
#include "io/page_cache.hpp"

#include <atomic>
#include <cerrno>

#include <sys/uio.h>

namespace fugu::detail {

namespace {
// Cleared the first time the kernel says it does not know RWF_NOWAIT for reads or for
// buffered writes (older kernels, filesystems that refuse it), so that a miss costs one
// syscall at most once.
std::atomic<bool> nowait_reads{true};
std::atomic<bool> nowait_writes{true};

bool unsupported(int err) noexcept { return err == EOPNOTSUPP || err == EINVAL || err == ENOSYS; }
}  // namespace

bool read_cached(int fd, std::uint64_t offset, std::span<std::byte> out) noexcept {
#if defined(RWF_NOWAIT)
    if (out.empty() || !nowait_reads.load(std::memory_order_relaxed)) return false;
    iovec iov{out.data(), out.size()};
    ssize_t n;
    do n = ::preadv2(fd, &iov, 1, static_cast<off_t>(offset), RWF_NOWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && unsupported(errno)) nowait_reads.store(false, std::memory_order_relaxed);
    // A short count may be the end of the file or the end of what is cached; the engine
    // tells those apart.
    return n >= 0 && static_cast<std::size_t>(n) == out.size();
#else
    (void)fd;
    (void)offset;
    (void)out;
    return false;
#endif
}

std::size_t write_cached(int fd, std::uint64_t offset, std::span<const std::byte> data) noexcept {
    if (data.empty()) return 0;
    ssize_t n = -1;
#if defined(RWF_NOWAIT)
    if (nowait_writes.load(std::memory_order_relaxed)) {
        iovec iov{const_cast<std::byte*>(data.data()), data.size()};
        do n = ::pwritev2(fd, &iov, 1, static_cast<off_t>(offset), RWF_NOWAIT);
        while (n < 0 && errno == EINTR);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (!unsupported(errno)) return 0;  // EAGAIN: it would block; the engine waits
        nowait_writes.store(false, std::memory_order_relaxed);
    }
#endif
    if (data.size() > inline_write_limit) return 0;
    do n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    while (n < 0 && errno == EINTR);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace fugu::detail
