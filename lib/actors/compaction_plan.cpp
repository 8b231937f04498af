// SPDX-License-Identifier: MIT
#include "actors/compaction_plan.hpp"

namespace fugu::detail {

namespace {
// A run must free at least this much to be worth rewriting (slab header and seal alone
// are about this size).
constexpr std::uint64_t min_gain = 256;
}  // namespace

std::optional<compaction_plan> plan_compaction(std::span<const segment_load> segments,
                                               double threshold,
                                               bool forced) noexcept {
    // Sealed slabs form a prefix: only the newest (the output slab) is unsealed.
    std::size_t sealed = 0;
    while (sealed < segments.size() && segments[sealed].sealed) ++sealed;
    if (sealed == 0) return std::nullopt;

    std::uint64_t size = 0, live = 0;
    for (std::size_t i = 0; i < sealed; ++i) {
        size += segments[i].size;
        live += segments[i].live;
    }
    if (!forced && static_cast<double>(live) >= threshold * static_cast<double>(size))
        return std::nullopt;

    std::optional<compaction_plan> best;
    double best_score = -1.0;
    for (std::size_t first = 0; first < sealed; ++first) {
        std::uint64_t run_size = 0, run_live = 0;
        for (std::size_t n = 1; n <= max_compaction_run && first + n <= sealed; ++n) {
            run_size += segments[first + n - 1].size;
            run_live += segments[first + n - 1].live;
            const std::uint64_t stale = run_size > run_live ? run_size - run_live : 0;
            // A run of one slab only pays when it sheds stale bytes; a longer run also
            // reduces the number of slabs.
            if (stale < min_gain && (n == 1 || !forced)) continue;
            const double score = static_cast<double>(stale) / static_cast<double>(run_live + 1);
            if (score > best_score || (score == best_score && best && n > best->count)) {
                best_score = score;
                best = compaction_plan{first, n, first == 0};
            }
        }
    }
    return best;
}

}  // namespace fugu::detail
