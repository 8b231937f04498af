// SPDX-License-Identifier: MIT
// Exit statuses of fugu_lock_probe, shared by the probe and the tests that read them.
#pragma once

namespace fugu::test::lock_probe {

inline constexpr int exit_locked = 0;  // lock() succeeded
inline constexpr int exit_usage = 2;
inline constexpr int exit_store_locked = 10;       // errc::store_locked
inline constexpr int exit_permission_denied = 11;  // EACCES
inline constexpr int exit_cannot_drop_privileges = 12;
inline constexpr int exit_other_error = 13;  // anything else (printed to stderr)

}  // namespace fugu::test::lock_probe
