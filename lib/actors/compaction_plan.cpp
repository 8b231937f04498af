// SPDX-License-Identifier: MIT
#include "actors/compaction_plan.hpp"

#include "format/format.hpp"

namespace fugu::detail {

namespace {
// A run must free at least this much to be worth rewriting.
constexpr std::uint64_t min_gain = 256;
// A merged slab's header and seal.
constexpr std::uint64_t slab_overhead = format::slab_header_size + format::seal_record_size;
}  // namespace

std::optional<compaction_plan> plan_compaction(std::span<const segment_load> segments,
                                               double threshold,
                                               bool forced) noexcept {
    // Sealed slabs form a prefix: only the newest (the output slab) is unsealed.
    std::size_t sealed = 0;
    while (sealed < segments.size() && segments[sealed].sealed) ++sealed;
    if (sealed == 0) return std::nullopt;

    std::uint64_t size = 0, payload = 0;
    for (const auto& s : segments) {
        size += s.size;
        payload += s.payload;
    }
    if (!forced && static_cast<double>(payload) >= threshold * static_cast<double>(size))
        return std::nullopt;
    const double max_run_bytes = max_run_share * static_cast<double>(size);

    std::optional<compaction_plan> best;
    double best_score = -1.0;
    for (std::size_t first = 0; first < sealed; ++first) {
        std::uint64_t run_size = 0, run_live = 0;
        for (std::size_t n = 1; n <= max_compaction_run && first + n <= sealed; ++n) {
            run_size += segments[first + n - 1].size;
            run_live += segments[first + n - 1].live;
            if (!forced && n > 1 && static_cast<double>(run_size) > max_run_bytes) break;
            // The output costs its live bytes plus a slab header and seal.
            const std::uint64_t out = run_live + slab_overhead;
            const std::uint64_t gain = run_size > out ? run_size - out : 0;
            const bool worth = gain >= min_gain &&
                               static_cast<double>(gain) >= min_gain_share * static_cast<double>(run_size);
            // A forced pass may also merge runs that free little: fewer slabs is a gain too.
            if (!worth && (n == 1 || !forced)) continue;
            const double score = static_cast<double>(gain) / static_cast<double>(run_live + 1);
            if (score > best_score || (score == best_score && best && n > best->count)) {
                best_score = score;
                best = compaction_plan{first, n, first == 0};
            }
        }
    }
    return best;
}

}  // namespace fugu::detail
