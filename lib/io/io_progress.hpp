// SPDX-License-Identifier: MIT
// The progress of one positional read, write or fdatasync through a completion-based
// engine, as a small state machine free of any ring: it says what to submit next and
// decides what a round of completions means (short transfers continue, EINTR and EAGAIN
// retry, a short write's cancelled linked fsync is submitted again, the first real error
// ends the operation). Owned by the one in-flight operation it describes.
#pragma once

#include <fugu/error.hpp>

#include <cstddef>
#include <cstdint>

namespace fugu::detail {

class io_progress {
public:
    enum class kind : std::uint8_t { write, read, sync };

    // The largest transfer put in one request: results are ints, and a smaller request
    // only means more rounds.
    static constexpr std::size_t max_chunk = std::size_t{1} << 30;

    // What to submit this round. `transfer` covers bytes [pos, pos + len) of the caller's
    // buffer at file offset `offset`; `fsync` follows it, linked when `link` is set.
    struct round {
        bool transfer = false;
        std::uint64_t offset = 0;
        std::size_t pos = 0;
        std::size_t len = 0;
        bool fsync = false;
        bool link = false;

        int requests() const noexcept { return int{transfer} + int{fsync}; }
    };

    static io_progress write(std::uint64_t offset, std::size_t size, bool sync) noexcept;
    static io_progress read(std::uint64_t offset, std::size_t size) noexcept;
    static io_progress sync() noexcept;

    kind what() const noexcept { return kind_; }

    // REQUIRES: !finished().
    round next() const noexcept;

    // Feeds the results of the round next() described: `transfer_res` and `fsync_res`
    // are raw completion results (a byte count, or -errno); the one not submitted is
    // ignored. Returns finished().
    bool complete_round(int transfer_res, int fsync_res) noexcept;

    bool finished() const noexcept { return finished_; }
    // Bytes transferred so far; for a read, the count the caller sees.
    std::size_t transferred() const noexcept { return done_; }
    error_code error() const noexcept { return error_; }

private:
    io_progress(kind k, std::uint64_t offset, std::size_t size, bool sync) noexcept
        : kind_(k), offset_(offset), size_(size), sync_(sync) {}

    bool finish(error_code ec = {}) noexcept;

    kind kind_;
    std::uint64_t offset_;  // file offset of byte 0 of the buffer
    std::size_t size_;      // bytes the caller asked for
    bool sync_;             // a write that must be followed by fdatasync
    std::size_t done_ = 0;  // bytes transferred so far
    bool finished_ = false;
    error_code error_;
};

}  // namespace fugu::detail
