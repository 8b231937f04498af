// SPDX-License-Identifier: MIT
// The compaction actor's decision, kept free of Asio so it can be tested directly: given
// the slabs in generation order, whether to merge now and which run of adjacent sealed
// slabs to merge. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace fugu::detail {

struct segment_load {
    std::uint64_t id = 0;
    std::uint64_t size = 0;     // bytes on disk
    std::uint64_t live = 0;     // bytes the newest version's entries would take once merged
    bool sealed = false;        // the output slab is the only unsealed one
    std::uint64_t payload = 0;  // key + value bytes of those entries
};

struct compaction_plan {
    std::size_t first = 0;  // index of the first slab of the run
    std::size_t count = 0;  // slabs in the run
    // The run starts at the oldest generation, so nothing older can hold a removed key:
    // tombstones can go.
    bool drop_tombstones = false;
};

// Longest run merged at once.
inline constexpr std::size_t max_compaction_run = 4;
// A background merge must free at least this share of the bytes it reads.
inline constexpr double min_gain_share = 1.0 / 16;
// A background run of several slabs reads at most this share of the store's bytes. Until
// its last slice is applied a merge's output sits on disk next to its sources, so a
// merge of a large share of the store would itself push space amplification over the
// bound it is restoring. A single slab may always be merged.
inline constexpr double max_run_share = 1.0 / 8;

// REQUIRES: `segments` in generation order. Without `forced`, a merge is planned only when
// the payload (key and value bytes) of all slabs, the output slab included, is below
// `threshold` of their bytes on disk: bytes on disk / live bytes is the store's space
// amplification, and the output slab's stale and framing bytes count as much as any
// other. The run is the window
// of 1..max_compaction_run adjacent sealed slabs that frees the most bytes per live byte
// copied (ties: the longer run, which also keeps the number of slabs down). A run must
// free a real share of its size (min_gain_share): rewriting a slab that is already as
// small as its live data allows would only burn I/O, and would never stop.
std::optional<compaction_plan> plan_compaction(std::span<const segment_load> segments,
                                               double threshold,
                                               bool forced) noexcept;

}  // namespace fugu::detail
