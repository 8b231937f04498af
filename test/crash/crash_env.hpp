// SPDX-License-Identifier: MIT
// Knobs shared by the crash families: FUGU_CRASH_SCALE multiplies their counts (soak
// runs), FUGU_CRASH_SEED fixes the seed, and sanitizer builds run a smaller CI scale
// because they are about three times slower.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FUGU_CRASH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FUGU_CRASH_SANITIZED 1
#endif
#endif
#ifndef FUGU_CRASH_SANITIZED
#define FUGU_CRASH_SANITIZED 0
#endif

namespace fugu::test {

inline constexpr bool crash_sanitized = FUGU_CRASH_SANITIZED != 0;

inline double crash_scale() {
    if (const char* s = std::getenv("FUGU_CRASH_SCALE"); s && *s) {
        const double v = std::strtod(s, nullptr);
        if (v > 0) return v;
    }
    return 1.0;
}

// `plain` in a normal build, `sanitized` under sanitizers, both times FUGU_CRASH_SCALE.
inline std::uint64_t crash_count(std::uint64_t plain, std::uint64_t sanitized) {
    const double n = static_cast<double>(crash_sanitized ? sanitized : plain) * crash_scale();
    return n < 1 ? 1 : static_cast<std::uint64_t>(n);
}

inline std::uint64_t crash_seed() {
    if (const char* s = std::getenv("FUGU_CRASH_SEED"); s && *s) return std::strtoull(s, nullptr, 10);
    return std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
}

// For the figure lines: "" or " (sanitizer build, reduced scale)".
inline std::string crash_mode_note() {
    return crash_sanitized ? " build=sanitized" : "";
}

// Prints one line about a failure as it happens (the first 20 per run): the figure line
// says how many there were, these say which.
#define FUGU_CRASH_NOTE(what)                                             \
    do {                                                                  \
        static int fugu_crash_notes_ = 0;                                 \
        if (fugu_crash_notes_++ < 20) {                                   \
            std::ostringstream fugu_crash_os_;                            \
            fugu_crash_os_ << what;                                       \
            std::printf("  %s\n", fugu_crash_os_.str().c_str());          \
        }                                                                 \
    } while (0)

}  // namespace fugu::test
