// SPDX-License-Identifier: MIT
// The engine selector. It actually builds a ring before choosing io_uring, because
// support can be missing at run time (old kernel, seccomp, kernel.io_uring_disabled), and
// records why it fell back. Holds no state of its own.
#include "io/io_engine.hpp"

#include "fugu_config.hpp"
#include "io/thread_engine.hpp"

#if FUGU_HAVE_URING
#include "io/uring_engine.hpp"
#endif

#include <cstdlib>
#include <memory>
#include <string_view>
#include <utility>

namespace fugu::detail {
namespace {

#if FUGU_HAVE_URING
// FUGU_DISABLE_IO_URING=1 makes ring creation fail, so the fallback path can be tested on
// machines where io_uring works.
bool uring_disabled_by_env() noexcept {
    const char* v = std::getenv("FUGU_DISABLE_IO_URING");
    return v && std::string_view(v) == "1";
}
#endif

// A ready uring engine, or null with `why` saying what failed.
std::shared_ptr<io_engine> try_uring(const boost::asio::any_io_executor& ex, std::string& why) {
#if FUGU_HAVE_URING
    if (uring_disabled_by_env()) {
        why = "io_uring disabled by FUGU_DISABLE_IO_URING=1";
        return nullptr;
    }
    return make_uring_engine(ex, why);
#else
    (void)ex;
    why = "built without liburing";
    return nullptr;
#endif
}

}  // namespace

io_engine_choice make_io_engine(const boost::asio::any_io_executor& ex, fugu::io_engine kind) {
    io_engine_choice choice;
    switch (kind) {
        case fugu::io_engine::threads:
            choice.engine = std::make_shared<thread_engine>(ex);
            break;
        case fugu::io_engine::io_uring:
            choice.engine = try_uring(ex, choice.note);
            if (!choice.engine) choice.error = make_error_code(errc::io_engine_unavailable);
            break;
        case fugu::io_engine::automatic:
            choice.engine = try_uring(ex, choice.note);
            if (!choice.engine) choice.engine = std::make_shared<thread_engine>(ex);
            break;
    }
    return choice;
}

}  // namespace fugu::detail
