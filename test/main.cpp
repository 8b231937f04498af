// SPDX-License-Identifier: MIT
// Catch2 runner. When FUGU_TEST_ENGINE=io_uring and no ring can be created here, the run
// is skipped (exit 77, Meson's SKIP) with the reason, so the suite never silently passes
// on the thread engine instead.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "io/io_engine.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>

int main(int argc, char* argv[]) {
    if (const char* e = std::getenv("FUGU_TEST_ENGINE"); e && std::string_view(e) == "io_uring") {
        boost::asio::io_context ctx;
        auto choice = fugu::detail::make_io_engine(ctx.get_executor(), fugu::io_engine::io_uring);
        if (!choice.engine) {
            std::printf("SKIP: io_uring unavailable here: %s\n", choice.note.c_str());
            return 77;
        }
    }
    return Catch::Session().run(argc, argv);
}
