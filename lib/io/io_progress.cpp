// SPDX-License-Identifier: MIT
// The io_progress state machine. Its rules follow io_uring_enter(2): a short transfer
// breaks a link chain and the linked fsync completes with -ECANCELED, so both are
// submitted again for the rest; an fsync that ran and failed is never retried (a failed
// fdatasync may have dropped the dirty pages, so a later success would prove nothing).
#include "io/io_progress.hpp"

#include <algorithm>
#include <cerrno>

namespace fugu::detail {
namespace {

bool retryable(int res) noexcept { return res == -EINTR || res == -EAGAIN; }

error_code to_error(int res) noexcept { return {-res, boost::system::system_category()}; }

}  // namespace

io_progress io_progress::write(std::uint64_t offset, std::size_t size, bool sync) noexcept {
    return {kind::write, offset, size, sync};
}

io_progress io_progress::read(std::uint64_t offset, std::size_t size) noexcept {
    io_progress p{kind::read, offset, size, false};
    if (size == 0) p.finish();
    return p;
}

io_progress io_progress::sync() noexcept { return {kind::sync, 0, 0, true}; }

io_progress::round io_progress::next() const noexcept {
    round r;
    if (kind_ == kind::sync) {
        r.fsync = true;
        return r;
    }
    std::size_t left = size_ - done_;
    if (left > 0 || (kind_ == kind::write && !sync_)) {
        // An empty write without sync still makes one request, so its completion goes
        // through the ring like any other.
        r.transfer = true;
        r.offset = offset_ + done_;
        r.pos = done_;
        r.len = std::min(left, max_chunk);
    }
    if (kind_ == kind::write && sync_) {
        // Sync only after the last chunk: an fsync linked to an earlier chunk would be
        // repeated anyway.
        r.fsync = !r.transfer || r.len == left;
        r.link = r.transfer && r.fsync;
    }
    return r;
}

bool io_progress::complete_round(int transfer_res, int fsync_res) noexcept {
    const round r = next();
    if (r.transfer) {
        if (retryable(transfer_res)) return false;
        if (transfer_res < 0) return finish(to_error(transfer_res));
        if (kind_ == kind::read) {
            if (transfer_res == 0) return finish();  // end of file
            done_ += static_cast<std::size_t>(transfer_res);
            return done_ == size_ ? finish() : false;
        }
        // A regular file that takes no bytes of a non-empty write is failing; going round
        // again would spin.
        if (transfer_res == 0 && r.len > 0) return finish({EIO, boost::system::system_category()});
        done_ += static_cast<std::size_t>(transfer_res);
        if (done_ < size_) return false;
        if (!r.fsync) return sync_ ? false : finish();
    }
    // Here the transfer is complete and the fsync ran after it (or was cancelled by a
    // short or retried transfer before it, which the checks above already handled).
    if (fsync_res == -ECANCELED || retryable(fsync_res)) return false;
    if (fsync_res < 0) return finish(to_error(fsync_res));
    return finish();
}

bool io_progress::finish(error_code ec) noexcept {
    finished_ = true;
    error_ = ec;
    return true;
}

}  // namespace fugu::detail
