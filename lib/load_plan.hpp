// SPDX-License-Identifier: MIT
// Which slabs an open loads, and in what order, decided from their headers alone
// (docs/format.md, "Opening a store"). Recovery acts on the plan; `fugu check` reports
// it, so the checker and the engine cannot disagree about what an open would do.
#pragma once

#include "format/slab_header.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace fugu::detail {

// A slab whose header did not decode may be a creation that never finished: no more
// than a header's bytes, and not an intact header of another version (that is never
// half-written). Whether it is one depends on the other slabs: see plan_load.
bool may_be_interrupted_creation(std::uint64_t file_size, const format::slab_header_decode& h) noexcept;

struct planned_slab {
    std::uint64_t id = 0;
    format::slab_header header;  // of a slab whose header decoded
};

struct load_plan {
    // Indexes into the slabs given to plan_load, in load order: generations ascending,
    // a merged slab before the slabs inside its range. The last one, when it is a log
    // slab, is the newest log slab (the one a torn tail can be in).
    std::vector<std::size_t> keep;
    // Compaction sources whose removal was interrupted: their range is inside a kept
    // slab's, so their data is there too. An open removes them.
    std::vector<std::size_t> superseded;
    // Slabs whose range overlaps a kept slab's without containing it or being inside
    // it: damage, the open fails on the first.
    std::vector<std::size_t> overlapping;
    // Above every generation a readable slab covers: a header-less candidate with a
    // higher id is an interrupted creation of the newest log slab (removed on open);
    // with a lower or equal id it is damage.
    std::uint64_t newest_generation = 0;

    bool is_interrupted_creation(std::uint64_t id) const noexcept { return id > newest_generation; }
};

load_plan plan_load(std::span<const planned_slab> slabs);

}  // namespace fugu::detail
