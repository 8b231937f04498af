// SPDX-License-Identifier: MIT
// The io_progress state machine alone: the retry, short-transfer and linked-fsync rules
// the io_uring engine relies on, driven with made-up completion results.
#include <catch2/catch.hpp>

#include "io/io_progress.hpp"

#include <cerrno>

using fugu::detail::io_progress;

namespace {

constexpr int unused = 0;

}  // namespace

TEST_CASE("a write with sync links one fsync to the write", "[io]") {
    auto p = io_progress::write(4096, 100, true);
    auto r = p.next();
    CHECK(r.transfer);
    CHECK(r.offset == 4096);
    CHECK(r.pos == 0);
    CHECK(r.len == 100);
    CHECK(r.fsync);
    CHECK(r.link);
    CHECK(r.requests() == 2);
    CHECK(p.complete_round(100, 0));
    CHECK_FALSE(p.error());
    CHECK(p.transferred() == 100);
}

TEST_CASE("a short write resubmits the rest together with the cancelled fsync", "[io]") {
    auto p = io_progress::write(0, 100, true);
    CHECK_FALSE(p.complete_round(40, -ECANCELED));
    auto r = p.next();
    CHECK(r.offset == 40);
    CHECK(r.pos == 40);
    CHECK(r.len == 60);
    CHECK(r.fsync);
    CHECK(r.link);
    CHECK(p.complete_round(60, 0));
    CHECK_FALSE(p.error());
    CHECK(p.transferred() == 100);
}

TEST_CASE("interrupted or would-block requests are submitted again", "[io]") {
    auto w = io_progress::write(0, 10, true);
    CHECK_FALSE(w.complete_round(-EINTR, -ECANCELED));
    CHECK(w.next().len == 10);
    CHECK_FALSE(w.complete_round(10, -EAGAIN));
    // The write is done, so only the fsync goes again, unlinked.
    auto r = w.next();
    CHECK_FALSE(r.transfer);
    CHECK(r.fsync);
    CHECK_FALSE(r.link);
    CHECK(w.complete_round(unused, 0));
    CHECK_FALSE(w.error());

    auto rd = io_progress::read(0, 10);
    CHECK_FALSE(rd.complete_round(-EAGAIN, unused));
    CHECK(rd.complete_round(10, unused));
}

TEST_CASE("a failed fsync ends the write with its error and is not retried", "[io]") {
    auto p = io_progress::write(0, 10, true);
    CHECK(p.complete_round(10, -EIO));
    CHECK(p.error() == boost::system::errc::io_error);
}

TEST_CASE("a failed write reports its own error rather than the cancelled fsync", "[io]") {
    auto p = io_progress::write(0, 10, true);
    CHECK(p.complete_round(-ENOSPC, -ECANCELED));
    CHECK(p.error() == boost::system::errc::no_space_on_device);
    CHECK(p.transferred() == 0);
}

TEST_CASE("a write that makes no progress fails instead of spinning", "[io]") {
    auto p = io_progress::write(0, 10, false);
    CHECK(p.complete_round(0, unused));
    CHECK(p.error() == boost::system::errc::io_error);
}

TEST_CASE("a read continues after a short count and stops at end of file", "[io]") {
    auto p = io_progress::read(100, 50);
    CHECK_FALSE(p.complete_round(20, unused));
    auto r = p.next();
    CHECK(r.offset == 120);
    CHECK(r.pos == 20);
    CHECK(r.len == 30);
    CHECK_FALSE(r.fsync);
    CHECK(p.complete_round(0, unused));
    CHECK_FALSE(p.error());
    CHECK(p.transferred() == 20);
}

TEST_CASE("an empty read is finished before anything is submitted", "[io]") {
    auto p = io_progress::read(0, 0);
    CHECK(p.finished());
    CHECK(p.transferred() == 0);
}

TEST_CASE("an empty write without sync still makes one request", "[io]") {
    auto p = io_progress::write(0, 0, false);
    auto r = p.next();
    CHECK(r.transfer);
    CHECK(r.len == 0);
    CHECK(r.requests() == 1);
    CHECK(p.complete_round(0, unused));
    CHECK_FALSE(p.error());
}

TEST_CASE("an empty write with sync is just the fsync", "[io]") {
    auto p = io_progress::write(0, 0, true);
    auto r = p.next();
    CHECK_FALSE(r.transfer);
    CHECK(r.fsync);
    CHECK(p.complete_round(unused, 0));
}

TEST_CASE("a write larger than one request goes in chunks and syncs after the last", "[io]") {
    const std::size_t size = 2 * io_progress::max_chunk + 5;
    auto p = io_progress::write(0, size, true);
    auto r = p.next();
    CHECK(r.len == io_progress::max_chunk);
    CHECK_FALSE(r.fsync);
    CHECK(r.requests() == 1);
    CHECK_FALSE(p.complete_round(static_cast<int>(r.len), unused));
    r = p.next();
    CHECK(r.pos == io_progress::max_chunk);
    CHECK_FALSE(r.fsync);
    CHECK_FALSE(p.complete_round(static_cast<int>(r.len), unused));
    r = p.next();
    CHECK(r.len == 5);
    CHECK(r.fsync);
    CHECK(r.link);
    CHECK(p.complete_round(5, 0));
    CHECK(p.transferred() == size);
}

TEST_CASE("a standalone sync retries interruption and reports failure", "[io]") {
    auto p = io_progress::sync();
    CHECK_FALSE(p.complete_round(unused, -EINTR));
    CHECK(p.complete_round(unused, -EBADF));
    CHECK(p.error() == boost::system::errc::bad_file_descriptor);
}
