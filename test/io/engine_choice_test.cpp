// SPDX-License-Identifier: MIT
// The engine selector: what each io_engine kind yields, and the fallback to threads
// (with its reason) when io_uring cannot be had, forced here through
// FUGU_DISABLE_IO_URING=1.
#include <catch2/catch.hpp>

#include "fugu_config.hpp"
#include "io/io_engine.hpp"
#include "support/test_engine.hpp"

#if FUGU_HAVE_URING
#include "io/uring_engine.hpp"
#endif

#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <optional>
#include <string>

#include <fcntl.h>

using fugu::detail::make_io_engine;

namespace {

// Sets an environment variable for one scope and puts the old value back.
class scoped_env {
public:
    scoped_env(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value, 1);
    }
    ~scoped_env() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("automatic falls back to threads and says why when io_uring is disabled", "[io]") {
    scoped_env disable("FUGU_DISABLE_IO_URING", "1");
    boost::asio::io_context ctx;
    auto choice = make_io_engine(ctx.get_executor(), fugu::io_engine::automatic);
    REQUIRE(choice.engine);
    CHECK_FALSE(choice.error);
    CHECK(choice.engine->name() == "threads");
#if FUGU_HAVE_URING
    CHECK(choice.note.find("FUGU_DISABLE_IO_URING") != std::string::npos);
#else
    CHECK(choice.note == "built without liburing");
#endif
}

TEST_CASE("asking for io_uring when it is disabled fails with io_engine_unavailable", "[io]") {
    scoped_env disable("FUGU_DISABLE_IO_URING", "1");
    boost::asio::io_context ctx;
    auto choice = make_io_engine(ctx.get_executor(), fugu::io_engine::io_uring);
    CHECK_FALSE(choice.engine);
    CHECK(choice.error == fugu::errc::io_engine_unavailable);
    CHECK_FALSE(choice.note.empty());
}

TEST_CASE("the thread engine is always available and needs no note", "[io]") {
    scoped_env disable("FUGU_DISABLE_IO_URING", "1");
    boost::asio::io_context ctx;
    auto choice = make_io_engine(ctx.get_executor(), fugu::io_engine::threads);
    REQUIRE(choice.engine);
    CHECK(choice.engine->name() == "threads");
    CHECK(choice.note.empty());
}

#if FUGU_HAVE_URING
TEST_CASE("the io_uring engine's ring and eventfd do not leak into exec'd children",
          "[io][engine]") {
    boost::asio::io_context ctx;
    auto choice = make_io_engine(ctx.get_executor(), fugu::test::test_engine());
    REQUIRE(choice.engine);
    auto* uring = dynamic_cast<fugu::detail::uring_engine*>(choice.engine.get());
    if (!uring) {
        // The thread engine owns no descriptors; there is nothing to check in this suite.
        CHECK(choice.engine->name() == "threads");
        return;
    }
    CHECK(choice.note.empty());
    CHECK((::fcntl(uring->ring_fd(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(uring->event_fd(), F_GETFD) & FD_CLOEXEC) != 0);
}
#endif
