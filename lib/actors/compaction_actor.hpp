// SPDX-License-Identifier: MIT
// The compaction actor: when live data falls below the threshold (or on async_compact),
// merges a run of adjacent sealed slabs into one new slab holding only what the index
// still refers to, publishes it (written, sealed, synced, renamed, directory synced),
// hands it to the index actor, and deletes each source once no version can read it. It
// reads and writes through the slabs' I/O engine on its own strand, so saves and reads
// never wait for it. All members are used only on strand_; others talk to it through
// inbox().
#pragma once

#include "actors/compaction_plan.hpp"
#include "actors/messages.hpp"
#include "store_shared.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace fugu::detail {

class compaction_actor {
public:
    compaction_actor(boost::asio::any_io_executor ex,
                     std::shared_ptr<store_shared> shared,
                     inbox_channel<index_message>& index);

    inbox_channel<compaction_message>& inbox() noexcept { return inbox_; }

    boost::asio::awaitable<void> run();

    // A retired slab's last reader is gone. Any thread; the slab_released message that
    // follows only wakes the actor, which may instead find the id while it merges.
    void note_released(std::uint64_t id) {
        std::lock_guard lock(released_mu_);
        released_.push_back(id);
    }

private:
    // Deletes every retired source noted as released so far. Also called between slices
    // of a merge: a merge can take seconds, and the slabs the previous one emptied should
    // not stay on disk meanwhile.
    void delete_released();
    // One pass: plan, and merge when the plan says so. Errors end the pass, not the store.
    boost::asio::awaitable<void> pass(bool forced);
    // The published state still lists a source of a merge this actor handed over.
    bool behind(const published_state& state) const;
    // Drops state.latest as soon as it has no more use for its index.
    boost::asio::awaitable<error_code> merge(published_state& state,
                                             const compaction_plan& plan);
    boost::asio::awaitable<void> pace(std::uint64_t bytes_written,
                                      std::chrono::steady_clock::time_point started);

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    std::shared_ptr<store_shared> shared_;
    inbox_channel<compaction_message> inbox_;
    inbox_channel<index_message>& index_;
    std::set<std::uint64_t> retired_;  // merged sources waiting for their last reader
    std::mutex released_mu_;
    std::vector<std::uint64_t> released_;  // guarded by released_mu_
};

}  // namespace fugu::detail
