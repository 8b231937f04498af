// SPDX-License-Identifier: MIT
#include "load_plan.hpp"

#include <algorithm>

namespace fugu::detail {

bool may_be_interrupted_creation(std::uint64_t file_size, const format::slab_header_decode& h) noexcept {
    return !h.status.ok() && file_size <= format::slab_header_size &&
           (h.status.truncated() || h.error != errc::unknown_format_version);
}

load_plan plan_load(std::span<const planned_slab> slabs) {
    load_plan plan;
    std::vector<std::size_t> order(slabs.size());
    for (std::size_t i = 0; i < slabs.size(); ++i) {
        order[i] = i;
        plan.newest_generation = std::max(plan.newest_generation, slabs[i].header.max_generation);
    }
    // A log slab's generation is its id and a merged slab covers the range of its
    // sources, so with the wider range first, a slab inside the range of one already
    // kept is a source whose removal was interrupted.
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        const auto& a = slabs[x].header;
        const auto& b = slabs[y].header;
        if (a.min_generation != b.min_generation) return a.min_generation < b.min_generation;
        if (a.max_generation != b.max_generation) return a.max_generation > b.max_generation;
        return slabs[x].id > slabs[y].id;
    });
    std::uint64_t covered = 0;
    for (std::size_t i : order) {
        const auto& h = slabs[i].header;
        if (plan.keep.empty() || h.min_generation > covered) {
            plan.keep.push_back(i);
            covered = h.max_generation;
        } else if (h.max_generation <= covered) {
            plan.superseded.push_back(i);
        } else {
            plan.overlapping.push_back(i);
        }
    }
    return plan;
}

}  // namespace fugu::detail
