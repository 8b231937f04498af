// SPDX-License-Identifier: MIT
// The read fast path both engines try first: a positional read that only copies what the
// page cache already holds (preadv2 with RWF_NOWAIT) and never blocks. A hit saves the
// round trip through a ring or a pool thread, which costs far more than the copy; a miss
// (or a kernel or filesystem without RWF_NOWAIT) falls through to the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fugu::detail {

/// True when all of `out` was read from the page cache without blocking. False otherwise,
/// with nothing promised about `out`; the caller then does the read the slow way.
bool read_cached(int fd, std::uint64_t offset, std::span<std::byte> out) noexcept;

}  // namespace fugu::detail
