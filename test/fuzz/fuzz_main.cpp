// SPDX-License-Identifier: MIT
// libFuzzer entry point; FUGU_FUZZ_TARGET names the function of fuzz_targets.hpp this
// executable drives. Built only with -Dfuzz=true (clang).
#include "fuzz/fuzz_targets.hpp"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        fugu::fuzz::FUGU_FUZZ_TARGET(std::span<const std::uint8_t>(data, size));
    } catch (const fugu::fuzz::fuzz_failure& e) {
        std::fprintf(stderr, "fugu fuzz invariant broken: %s\n", e.what());
        std::abort();
    }
    return 0;
}
