// SPDX-License-Identifier: MIT
// How an I/O engine finishes an operation: the handler, plus outstanding work held on the
// executor it will run on, so that executor's io_context cannot run out of work while the
// operation is in the kernel or on a pool thread. Owned by one in-flight operation.
#pragma once

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/execution/execute.hpp>
#include <boost/asio/execution/relationship.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <optional>
#include <utility>

namespace fugu::detail {

template <class Handler>
class pending_completion {
public:
    // `first_hop` is where completions are posted; it is also where the handler runs when
    // it has no associated executor of its own.
    pending_completion(Handler handler, const boost::asio::any_io_executor& first_hop)
        : first_hop_(first_hop),
          work_(boost::asio::make_work_guard(
              boost::asio::get_associated_executor(handler, executor_type(first_hop)))),
          handler_(std::move(handler)) {}

    // Posts the handler with `args`; never runs it inline. The handler's associated
    // executor is an any_completion_executor, which cannot promise blocking.never, so the
    // post goes through `first_hop` (which can) and Asio forwards it to the handler's own
    // executor when that is a different one (a strand, another io_context). The work is
    // released only after the post, so the target sees no gap in outstanding work.
    template <class... Args>
    void complete(Args... args) && {
        executor_type target = work_->get_executor();
        auto call = [h = std::move(handler_), ... a = std::move(args)]() mutable {
            std::move(h)(std::move(a)...);
        };
        if (target == executor_type(first_hop_)) {
            boost::asio::post(first_hop_, std::move(call));
        } else {
            boost::asio::post(first_hop_, boost::asio::bind_executor(target, std::move(call)));
        }
        work_.reset();
    }

    // Runs the handler with `args` through its executor's own execute(), without the hop
    // through `first_hop`. REQUIRES: called on a thread that runs none of the program's
    // executors (a private pool thread), so no io_context or strand can take this as a
    // chance to run the handler inline; to the handler's executor it is a post.
    template <class... Args>
    void complete_from_outside(Args... args) && {
        executor_type target = work_->get_executor();
        auto call = [h = std::move(handler_), ... a = std::move(args)]() mutable {
            std::move(h)(std::move(a)...);
        };
        boost::asio::execution::execute(
            boost::asio::prefer(target, boost::asio::execution::relationship.fork),
            std::move(call));
        work_.reset();
    }

private:
    using executor_type = boost::asio::any_completion_executor;

    boost::asio::any_io_executor first_hop_;
    std::optional<boost::asio::executor_work_guard<executor_type>> work_;
    Handler handler_;
};

// Posts `handler` with `args` for an operation that finished inside its initiating
// function: never runs it inline. The same route as pending_completion::complete (through
// `first_hop`, then to the handler's own executor when that differs), without a work
// guard: the posted function is outstanding work until it runs.
template <class Handler, class... Args>
void post_completion(const boost::asio::any_io_executor& first_hop, Handler handler, Args... args) {
    const boost::asio::any_completion_executor hop(first_hop);
    auto target = boost::asio::get_associated_executor(handler, hop);
    auto call = [h = std::move(handler), ... a = std::move(args)]() mutable {
        std::move(h)(std::move(a)...);
    };
    if (target == hop) {
        boost::asio::post(first_hop, std::move(call));
    } else {
        boost::asio::post(first_hop, boost::asio::bind_executor(target, std::move(call)));
    }
}

}  // namespace fugu::detail
