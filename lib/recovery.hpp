// SPDX-License-Identifier: MIT
// Recovery: what async_open does before the actors start. It chooses the slabs to load
// (generation order, dropping compaction sources a merged slab already covers and
// leftovers of interrupted work), rebuilds the index from their records, cuts a torn
// tail off the newest log slab, and leaves an output slab ready for appends. The rules
// are those of docs/format.md. Runs on one strand; owns nothing after it returns.
#pragma once

#include "actors/allocation_actor.hpp"
#include "actors/index_actor.hpp"
#include "actors/writer_actor.hpp"
#include "store_shared.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

namespace fugu::detail {

struct recovery_result {
    index_state index;
    allocation_state allocation;
    output_slab_state output;
};

// On failure `diag` (when not null) names the file and offset concerned.
boost::asio::awaitable<boost::system::result<recovery_result>> recover(store_shared& shared,
                                                                        diagnostics* diag);

}  // namespace fugu::detail
