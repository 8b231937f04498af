// SPDX-License-Identifier: MIT
// errno as a fugu::error_code. Operating-system failures reach callers in the system
// category unchanged, so they compare equal to boost::system::errc values.
#pragma once

#include <fugu/error.hpp>

#include <cerrno>

namespace fugu::detail {

inline error_code errno_code(int e) noexcept { return {e, boost::system::system_category()}; }

// REQUIRES: called right after the failing call, before anything else can set errno.
inline error_code last_errno_code() noexcept { return errno_code(errno); }

}  // namespace fugu::detail
