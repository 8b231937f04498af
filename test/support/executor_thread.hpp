// SPDX-License-Identifier: MIT
// An io_context served by a thread of its own for as long as this object lives, joined
// even when a check throws: for options::compaction_executor in tests.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <thread>

namespace fugu::test {

struct executor_thread {
    boost::asio::io_context ctx;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ctx.get_executor()};
    std::thread thread{[this] { ctx.run(); }};

    executor_thread() = default;
    executor_thread(const executor_thread&) = delete;
    executor_thread& operator=(const executor_thread&) = delete;
    ~executor_thread() {
        work.reset();
        thread.join();
    }
};

}  // namespace fugu::test
