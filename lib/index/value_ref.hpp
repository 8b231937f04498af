// SPDX-License-Identifier: MIT
// Where a value's bytes live on disk: the slab, the offset of the value bytes inside it
// and their length. The index maps each key to one of these; it is a plain value.
#pragma once

#include <cstdint>

namespace fugu::detail {

struct value_ref {
    std::uint32_t slab = 0;
    std::uint32_t offset = 0;  // of the value bytes inside the slab; slabs are < 4 GiB
    std::uint32_t length = 0;

    friend bool operator==(const value_ref&, const value_ref&) = default;
};

}  // namespace fugu::detail
