// SPDX-License-Identifier: MIT
// The io_uring engine, driven through liburing directly (not Asio's io_uring backend,
// whose switch would change Asio's types for the whole program). The engine owns its
// ring and an eventfd that the kernel signals on each completion; a stream_descriptor on
// the executor given to make_uring_engine watches the eventfd, and the reaper, run on a
// private strand there, drains the completion queue and posts each handler to its own
// executor.
//
// Lifetime: while any operation is in flight, the pending "submit" post or the armed
// eventfd wait holds a shared_ptr to the engine, so the last user may let go of it at any
// time and the ring is closed only once nothing is in the kernel. When nothing is in
// flight nothing is armed, so an io_context whose only remaining work is an idle engine
// returns from run(). If the io_context is destroyed with operations still in the kernel,
// the destructor waits for them on the ring itself before closing it.
#pragma once

#include "io/completion.hpp"
#include "io/io_engine.hpp"
#include "io/io_progress.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fugu::detail {

class uring_engine final : public io_engine, public std::enable_shared_from_this<uring_engine> {
    struct passkey {};

public:
    // Submission-queue entries; the completion queue is twice that, and at most that
    // many requests are in the kernel at once, so completions never overflow.
    static constexpr unsigned ring_entries = 256;

    // A ready engine, or null with `why` set to what failed, in words.
    static std::shared_ptr<uring_engine> create(const boost::asio::any_io_executor& ex,
                                                std::string& why);

    // Takes ownership of an initialised ring and of `event_fd`, already registered.
    uring_engine(passkey,
                 const boost::asio::any_io_executor& ex,
                 const io_uring& ring,
                 int event_fd);
    ~uring_engine() override;

    uring_engine(const uring_engine&) = delete;
    uring_engine& operator=(const uring_engine&) = delete;

    std::string_view name() const noexcept override { return "io_uring"; }

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

    // The descriptors the engine owns, for checks that they do not leak into children.
    int ring_fd() const noexcept { return ring_.ring_fd; }
    int event_fd() const noexcept { return event_fd_; }

private:
    using completion =
        std::variant<pending_completion<write_handler>, pending_completion<read_handler>>;

    // One caller's operation, from initiation until its handler is posted.
    struct op {
        int fd;
        std::byte* buf;  // the caller's buffer; written only by reads
        io_progress progress;
        completion done;
        int in_kernel = 0;  // requests of the current round not yet completed
        int transfer_res = 0;
        int fsync_res = 0;
    };
    using op_list = std::vector<std::unique_ptr<op>>;

    void start(std::unique_ptr<op> o);
    // REQUIRES: mu_ held. Puts the op's next round in the submission queue, or returns
    // false when the kernel already holds as many requests as the completion queue fits.
    bool prepare(op* o);
    // REQUIRES: mu_ held. Moves queued ops into the submission queue while there is room.
    void prepare_queued();
    // REQUIRES: mu_ held. Submits what was prepared; false when the kernel refused for
    // now (EINTR, EAGAIN, EBUSY) and a later submit must try again.
    bool submit_locked();
    // REQUIRES: mu_ held. Consumes every available completion; finished ops go to `done`.
    void reap_locked(op_list& done);
    static void finish(op_list& done);

    // Strand handlers; each holds a shared_ptr to the engine through its caller.
    void on_submit();
    void on_event(error_code ec);
    void arm();

    boost::asio::any_io_executor ex_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;  // serialises events_ and armed_
    int event_fd_;                                              // owned by events_
    boost::asio::posix::stream_descriptor events_;              // the eventfd the ring signals
    bool armed_ = false;  // an async_wait on events_ is pending; strand only

    std::mutex mu_;  // guards everything below and all use of ring_
    io_uring ring_;
    unsigned in_kernel_ = 0;  // requests prepared or submitted and not yet completed
    std::size_t live_ = 0;    // ops started and not yet finished
    bool submit_posted_ = false;
    // Ops waiting for room in the kernel. A live op is owned by exactly one of: this
    // queue, the user_data of its requests in the ring, or a local list on its way out.
    std::deque<op*> queued_;
};

// What make_io_engine calls: the engine, or null with `why` set.
std::shared_ptr<io_engine> make_uring_engine(const boost::asio::any_io_executor& ex,
                                             std::string& why);

}  // namespace fugu::detail
