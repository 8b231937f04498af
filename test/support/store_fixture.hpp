// SPDX-License-Identifier: MIT
// Opening stores in tests the same way on every backing: memory_storage, or a directory
// through the engine the suite selects (FUGU_TEST_ENGINE).
#pragma once

#include "support/temp_dir.hpp"
#include "support/test_engine.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

namespace fugu::test {

enum class backing { memory, files };

// Where a test's store lives across reopens.
class store_home {
public:
    explicit store_home(backing b) : backing_(b) {
        if (b == backing::memory) memory_ = std::make_shared<fugu::memory_storage>();
        else dir_.emplace("fugu-store");
    }

    fugu::options options() const {
        fugu::options o;
        o.io_engine = test_engine();
        o.durability = fugu::durability::os_buffered;  // fast; durability has its own tests
        return o;
    }

    boost::asio::awaitable<fugu::store> open(fugu::options o) {
        auto ex = co_await boost::asio::this_coro::executor;
        if (memory_) co_return co_await fugu::store::async_open(ex, memory_, o, boost::asio::use_awaitable);
        co_return co_await fugu::store::async_open(ex, (dir_->path() / "db").string(), o,
                                                   boost::asio::use_awaitable);
    }
    boost::asio::awaitable<fugu::store> open() { return open(options()); }

    std::string directory() const { return (dir_->path() / "db").string(); }

private:
    backing backing_;
    std::shared_ptr<fugu::memory_storage> memory_;
    std::optional<temp_dir> dir_;
};

}  // namespace fugu::test
