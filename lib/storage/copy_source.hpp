// SPDX-License-Identifier: MIT
// A slab whose bytes may be copied out synchronously, without I/O: a file slab through its
// read-only map, a memory slab from its vector. The read path uses it for values that
// need no engine read (snapshot::try_read, and the fast branch of the async reads); any
// slab without it, or whose bytes are not at hand, is read through slab::async_read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fugu::detail {

class copy_source {
public:
    // Copies [offset, offset + out.size()) into `out` and returns true, or returns false
    // without waiting when the bytes are not in memory (nothing mapped there yet, maps
    // off). Safe from any thread. REQUIRES: out is not empty; the range lies within the
    // slab's size().
    virtual bool copy_now(std::uint64_t offset, std::span<std::byte> out) const noexcept = 0;

protected:
    ~copy_source() = default;
};

}  // namespace fugu::detail
