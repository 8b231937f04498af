// SPDX-License-Identifier: MIT
// A published version of the store: the sequence it observes, the index as of that
// sequence, and the slabs that index points into. Immutable once published; a snapshot
// is a shared pointer to one.
#pragma once

#include "index/index.hpp"

#include <fugu/storage.hpp>

#include <boost/container/flat_map.hpp>

#include <cstdint>
#include <memory>

namespace fugu::detail {

// What the index actor knows about one slab in use.
struct segment_info {
    std::shared_ptr<fugu::slab> slab;
    std::uint64_t min_generation = 0;
    std::uint64_t max_generation = 0;
    std::uint64_t live_bytes = 0;  // key + value bytes the newest version refers to
    bool merged = false;
    bool sealed = false;
};

// Slab id -> open slab, for readers. Replaced (not modified) when slabs come or go.
using segment_table = boost::container::flat_map<std::uint32_t, std::shared_ptr<fugu::slab>>;

struct version {
    std::uint64_t sequence = 0;
    index_view index;
    std::shared_ptr<const segment_table> segments;
};

}  // namespace fugu::detail
