// SPDX-License-Identifier: MIT
// The fast paths both engines try first: positional reads and writes that only touch the
// page cache (preadv2/pwritev2 with RWF_NOWAIT) and never block. A hit saves the round
// trip through a ring or a pool thread, which costs far more than copying a few hundred
// bytes; a miss (data not cached, writeback throttling, or a kernel or filesystem without
// RWF_NOWAIT) falls through to the engine, which does the blocking part off the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fugu::detail {

/// True when all of `out` was read from the page cache without blocking. False otherwise,
/// with nothing promised about `out`; the caller then does the read the slow way.
bool read_cached(int fd, std::uint64_t offset, std::span<std::byte> out) noexcept;

/// Writes a prefix of `data` into the page cache and returns its length (0 when nothing
/// could be written that way, errors included: the engine then meets the error itself and
/// reports it). Nothing is synced. Where the kernel takes RWF_NOWAIT for buffered writes
/// this never blocks; elsewhere (ext4 on most kernels) a write of at most
/// `inline_write_limit` bytes is a plain pwrite, which is a copy into the page cache that
/// blocks only while the kernel throttles a writer with too many dirty pages: far cheaper
/// than handing a few hundred bytes to another thread and waiting to hear back.
std::size_t write_cached(int fd, std::uint64_t offset, std::span<const std::byte> data) noexcept;

inline constexpr std::size_t inline_write_limit = std::size_t{64} << 10;

}  // namespace fugu::detail
