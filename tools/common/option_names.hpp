// SPDX-License-Identifier: MIT
// The names the command-line tools accept for fugu::options enums, so `fugu`,
// `fugu-server` and their documentation agree.
#pragma once

#include <fugu/options.hpp>

#include <optional>
#include <string_view>

namespace fugu::tools {

// "fsync", "os_buffered" (or "buffered").
inline std::optional<durability> parse_durability(std::string_view s) {
    if (s == "fsync") return durability::fsync;
    if (s == "os_buffered" || s == "buffered") return durability::os_buffered;
    return std::nullopt;
}

// "auto" (or "automatic"), "io_uring" (or "uring"), "threads".
inline std::optional<io_engine> parse_io_engine(std::string_view s) {
    if (s == "auto" || s == "automatic") return io_engine::automatic;
    if (s == "io_uring" || s == "uring") return io_engine::io_uring;
    if (s == "threads") return io_engine::threads;
    return std::nullopt;
}

inline const char* durability_name(durability d) {
    return d == durability::fsync ? "fsync" : "os_buffered";
}

}  // namespace fugu::tools
