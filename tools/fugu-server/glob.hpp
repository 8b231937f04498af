// SPDX-License-Identifier: MIT
// Redis glob patterns, as KEYS and SCAN MATCH take them: `*` any run of bytes, `?` one
// byte, `[abc]`, `[^abc]`, `[a-z]` one byte of (or not of) a set, and `\x` the byte x.
// Bytes compare unsigned and case-sensitively. Matching takes O(pattern * key) time at
// worst (no exponential backtracking), so a hostile pattern cannot stall the server.
#pragma once

#include <string_view>

namespace fugu::server {

bool glob_match(std::string_view pattern, std::string_view key) noexcept;

// The longest literal prefix every match starts with ("user:*" -> "user:"), so an
// ordered scan can start there and stop once keys no longer begin with it.
std::string_view glob_literal_prefix(std::string_view pattern) noexcept;

}  // namespace fugu::server
