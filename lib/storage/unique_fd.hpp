// SPDX-License-Identifier: MIT
// unique_fd: sole owner of one file descriptor, closed on destruction. Used by the file
// storage for the directory, the LOCK file and each slab, so no error path leaks an fd.
#pragma once

#include <utility>

#include <unistd.h>

namespace fugu::detail {

class unique_fd {
public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        if (this != &other) reset(std::exchange(other.fd_, -1));
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

    // Gives up ownership without closing (for APIs such as fdopendir that take it over).
    int release() noexcept { return std::exchange(fd_, -1); }

    // close() errors are ignored on purpose: every fd whose data matters was synced
    // before, and retrying close on Linux could close an fd another thread just opened.
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

}  // namespace fugu::detail
