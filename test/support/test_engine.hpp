// SPDX-License-Identifier: MIT
// The I/O engine a test run uses: FUGU_TEST_ENGINE=io_uring|threads (Meson's engine
// suites set it); automatic otherwise.
#pragma once

#include <fugu/options.hpp>

#include <cstdlib>
#include <string_view>

namespace fugu::test {

inline fugu::io_engine test_engine() {
    const char* e = std::getenv("FUGU_TEST_ENGINE");
    if (!e) return fugu::io_engine::automatic;
    std::string_view v(e);
    if (v == "io_uring") return fugu::io_engine::io_uring;
    if (v == "threads") return fugu::io_engine::threads;
    return fugu::io_engine::automatic;
}

}  // namespace fugu::test
