// SPDX-License-Identifier: MIT
// The io_uring engine: request preparation, batched submission, and the reaper. See
// uring_engine.hpp for ownership and lifetime. Each request's user_data is its op's
// address with bit 0 set for the linked fsync, which is why ops are heap objects of at
// least 2-byte alignment.
#include "io/uring_engine.hpp"

#include "io/page_cache.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace fugu::detail {
namespace {

constexpr std::uint64_t fsync_tag = 1;

std::string failure(const char* what, int err) {
    return std::string(what) + " failed: " + std::strerror(err);
}

}  // namespace

std::shared_ptr<uring_engine> uring_engine::create(const boost::asio::any_io_executor& ex,
                                                   std::string& why) {
    io_uring ring;
    if (int r = io_uring_queue_init(ring_entries, &ring, 0); r < 0) {
        why = failure("io_uring_queue_init", -r);
        return nullptr;
    }
    // IORING_OP_READ/WRITE arrived in Linux 5.6; an older ring can only do readv/writev.
    io_uring_probe* probe = io_uring_get_probe_ring(&ring);
    bool ops_ok = probe && io_uring_opcode_supported(probe, IORING_OP_READ) &&
                  io_uring_opcode_supported(probe, IORING_OP_WRITE) &&
                  io_uring_opcode_supported(probe, IORING_OP_FSYNC);
    if (probe) io_uring_free_probe(probe);
    if (!ops_ok) {
        io_uring_queue_exit(&ring);
        why = "the kernel's io_uring lacks IORING_OP_READ, IORING_OP_WRITE or IORING_OP_FSYNC";
        return nullptr;
    }
    // The kernel makes ring fds close-on-exec; make sure, so none leaks into a child.
    if (int flags = ::fcntl(ring.ring_fd, F_GETFD); flags >= 0 && !(flags & FD_CLOEXEC)) {
        ::fcntl(ring.ring_fd, F_SETFD, flags | FD_CLOEXEC);
    }
    int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
        why = failure("eventfd", errno);
        io_uring_queue_exit(&ring);
        return nullptr;
    }
    if (int r = io_uring_register_eventfd(&ring, efd); r < 0) {
        why = failure("io_uring_register_eventfd", -r);
        ::close(efd);
        io_uring_queue_exit(&ring);
        return nullptr;
    }
    try {
        return std::make_shared<uring_engine>(passkey{}, ex, ring, efd);
    } catch (const std::exception& e) {
        // Nothing took ownership: the descriptor could not join the reactor.
        why = std::string("watching the io_uring eventfd failed: ") + e.what();
        ::close(efd);
        io_uring_queue_exit(&ring);
        return nullptr;
    }
}

uring_engine::uring_engine(passkey,
                           const boost::asio::any_io_executor& ex,
                           const io_uring& ring,
                           int event_fd)
    : ex_(ex),
      strand_(boost::asio::make_strand(ex)),
      event_fd_(event_fd),
      events_(ex, event_fd),
      ring_(ring) {}

uring_engine::~uring_engine() {
    // Normally nothing is in flight: every live op keeps the engine alive through the
    // posted submit or the armed wait. Ops remain only when the io_context was destroyed
    // with them in the kernel, which may still be writing into callers' buffers, so wait
    // for them on the ring itself before closing it.
    std::unique_lock lock(mu_);
    while (live_ > 0) {
        prepare_queued();
        int r = io_uring_submit_and_wait(&ring_, 1);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) break;
        op_list done;
        reap_locked(done);
        lock.unlock();
        finish(done);
        lock.lock();
    }
    io_uring_queue_exit(&ring_);
}

void uring_engine::async_write(int fd,
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
    // The op never writes through buf for a write; const is restored at the ring.
    auto* buf = const_cast<std::byte*>(data.data());
    start(std::unique_ptr<op>(
        new op{fd, buf, io_progress::write(offset, data.size(), sync), std::move(done)}));
}

void uring_engine::async_read(int fd,
                              std::uint64_t offset,
                              std::span<std::byte> out,
                              read_handler handler) {
    pending_completion<read_handler> done(std::move(handler), ex_);
    if (read_cached(fd, offset, out)) {
        std::move(done).complete(error_code{}, out.size());
        return;
    }
    start(std::unique_ptr<op>(
        new op{fd, out.data(), io_progress::read(offset, out.size()), std::move(done)}));
}

void uring_engine::async_sync(int fd, write_handler handler) {
    pending_completion<write_handler> done(std::move(handler), ex_);
    start(std::unique_ptr<op>(new op{fd, nullptr, io_progress::sync(), std::move(done)}));
}

void uring_engine::start(std::unique_ptr<op> o) {
    if (o->progress.finished()) {  // an empty read: nothing for the kernel to do
        op_list done;
        done.push_back(std::move(o));
        finish(done);
        return;
    }
    bool post_submit = false;
    {
        std::lock_guard lock(mu_);
        ++live_;
        op* p = o.release();
        // Keep first-come order: nothing overtakes an op already waiting for room.
        if (!queued_.empty() || !prepare(p)) queued_.push_back(p);
        post_submit = !submit_posted_;
        submit_posted_ = true;
    }
    // One submit per batch: every op prepared before it runs goes in the same
    // io_uring_submit.
    if (post_submit) {
        boost::asio::post(strand_, [self = shared_from_this()] { self->on_submit(); });
    }
}

bool uring_engine::prepare(op* o) {
    const io_progress::round r = o->progress.next();
    const int need = r.requests();
    if (in_kernel_ + static_cast<unsigned>(need) > ring_.cq.ring_entries) return false;
    if (io_uring_sq_space_left(&ring_) < static_cast<unsigned>(need)) {
        // The submission queue is full: hand it to the kernel now rather than wait.
        submit_locked();
        if (io_uring_sq_space_left(&ring_) < static_cast<unsigned>(need)) return false;
    }
    const auto tag = reinterpret_cast<std::uintptr_t>(o);
    o->in_kernel = need;
    o->transfer_res = 0;
    o->fsync_res = 0;
    if (r.transfer) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        const auto len = static_cast<unsigned>(r.len);
        if (o->progress.what() == io_progress::kind::read) {
            io_uring_prep_read(sqe, o->fd, o->buf + r.pos, len, r.offset);
        } else {
            io_uring_prep_write(sqe, o->fd, o->buf + r.pos, len, r.offset);
        }
        io_uring_sqe_set_data64(sqe, tag);
        // Linked, the fsync starts only after the write completed in full (R1, R11).
        if (r.link) sqe->flags |= IOSQE_IO_LINK;
    }
    if (r.fsync) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        io_uring_prep_fsync(sqe, o->fd, IORING_FSYNC_DATASYNC);
        io_uring_sqe_set_data64(sqe, tag | fsync_tag);
    }
    in_kernel_ += static_cast<unsigned>(need);
    return true;
}

void uring_engine::prepare_queued() {
    while (!queued_.empty() && prepare(queued_.front())) queued_.pop_front();
}

bool uring_engine::submit_locked() {
    if (io_uring_sq_ready(&ring_) == 0) return true;
    // On failure the entries stay in the queue, and the next submit passes them again.
    return io_uring_submit(&ring_) >= 0;
}

void uring_engine::reap_locked(op_list& done) {
    // Copy the results out first: preparing a resubmission may submit, and the queue
    // head must have moved past these entries by then.
    struct result {
        std::uint64_t data;
        int res;
    };
    std::vector<result> results;
    unsigned head = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        results.push_back({io_uring_cqe_get_data64(cqe), cqe->res});
    }
    io_uring_cq_advance(&ring_, static_cast<unsigned>(results.size()));
    in_kernel_ -= static_cast<unsigned>(results.size());

    for (const result& r : results) {
        op* o = reinterpret_cast<op*>(static_cast<std::uintptr_t>(r.data & ~fsync_tag));
        if (r.data & fsync_tag) {
            o->fsync_res = r.res;
        } else {
            o->transfer_res = r.res;
        }
        if (--o->in_kernel > 0) continue;  // the round's other request is still out
        if (o->progress.complete_round(o->transfer_res, o->fsync_res)) {
            --live_;
            done.emplace_back(o);
        } else if (!queued_.empty() || !prepare(o)) {
            queued_.push_back(o);
        }
    }
}

void uring_engine::finish(op_list& done) {
    for (auto& o : done) {
        const io_progress& p = o->progress;
        if (auto* w = std::get_if<pending_completion<write_handler>>(&o->done)) {
            std::move(*w).complete(p.error());
        } else {
            std::move(std::get<pending_completion<read_handler>>(o->done))
                .complete(p.error(), p.transferred());
        }
    }
    done.clear();
}

void uring_engine::on_submit() {
    bool again = false;
    bool live = false;
    {
        std::lock_guard lock(mu_);
        submit_posted_ = false;
        prepare_queued();
        if (!submit_locked()) {
            // EINTR, EAGAIN or EBUSY: the kernel is short of something right now.
            submit_posted_ = again = true;
        }
        live = live_ > 0;
    }
    if (again) boost::asio::post(strand_, [self = shared_from_this()] { self->on_submit(); });
    if (live && !armed_) arm();
}

void uring_engine::on_event(error_code) {
    // Any wake-up, even an error from the reactor, is a reason to look at the ring.
    armed_ = false;
    std::uint64_t count = 0;
    // Clear before reaping: a completion after this read signals the eventfd again.
    [[maybe_unused]] ssize_t n = ::read(event_fd_, &count, sizeof count);

    op_list done;
    bool again = false;
    bool live = false;
    {
        std::lock_guard lock(mu_);
        reap_locked(done);
        prepare_queued();
        if (!submit_locked() && !submit_posted_) submit_posted_ = again = true;
        live = live_ > 0;
    }
    finish(done);
    if (again) boost::asio::post(strand_, [self = shared_from_this()] { self->on_submit(); });
    if (live) arm();
}

void uring_engine::arm() {
    armed_ = true;
    auto on_ready = [self = shared_from_this()](error_code ec) { self->on_event(ec); };
    events_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                       boost::asio::bind_executor(strand_, std::move(on_ready)));
}

std::shared_ptr<io_engine> make_uring_engine(const boost::asio::any_io_executor& ex,
                                             std::string& why) {
    return uring_engine::create(ex, why);
}

}  // namespace fugu::detail
