// SPDX-License-Identifier: MIT
#include "io/cached_read.hpp"

#include <atomic>
#include <cerrno>

#include <sys/uio.h>

namespace fugu::detail {

namespace {
// Cleared the first time the kernel says it does not know RWF_NOWAIT for reads (before
// Linux 4.14, or a filesystem that refuses it), so a miss costs one syscall at most once.
std::atomic<bool> nowait_supported{true};
}  // namespace

bool read_cached(int fd, std::uint64_t offset, std::span<std::byte> out) noexcept {
#if defined(RWF_NOWAIT)
    if (out.empty() || !nowait_supported.load(std::memory_order_relaxed)) return false;
    iovec iov{out.data(), out.size()};
    ssize_t n;
    do n = ::preadv2(fd, &iov, 1, static_cast<off_t>(offset), RWF_NOWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS))
        nowait_supported.store(false, std::memory_order_relaxed);
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

}  // namespace fugu::detail
