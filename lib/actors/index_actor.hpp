// SPDX-License-Identifier: MIT
// The index actor: applies written change sets to the in-RAM index, keeps live bytes per
// slab, completes the saves it applied, and hands each new immutable version to the
// snapshots actor. It alone owns the index builder and the segment table. All
// members are used only on strand_; others talk to it through inbox().
#pragma once

#include "actors/messages.hpp"
#include "actors/version.hpp"
#include "store_shared.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace fugu::detail {

// Where the index starts after recovery.
struct index_state {
    index_builder builder;  // the index actor continues with recovery's builder
    std::map<std::uint32_t, segment_info> segments;
    std::uint64_t sequence = 0;  // the newest sequence the index reflects
};

class index_actor {
public:
    index_actor(boost::asio::any_io_executor ex,
                std::shared_ptr<store_shared> shared,
                index_state start,
                inbox_channel<snapshot_message>& snapshots);

    inbox_channel<index_message>& inbox() noexcept { return inbox_; }

    // REQUIRES: called before run(). New versions poke compaction; a close waits for it.
    void set_compaction(inbox_channel<compaction_message>& c) noexcept { compaction_ = &c; }

    // The version recovery produced, for the snapshots actor to start from.
    std::shared_ptr<const version> initial_version() const { return make_version(); }

    boost::asio::awaitable<void> run();

private:
    void apply(apply_request& req, std::vector<save_ptr>& done);
    // A merge is taken in three steps so that saves are not held up behind it: the output
    // slab joins the table, the moves are applied a slice at a time between batches of
    // other messages, then the sources are retired.
    void apply_merge_slice();
    void begin_merge();
    void end_merge();
    std::shared_ptr<const version> make_version() const;
    // Store figures after every change; with `version`, also the published version and
    // the segments compaction plans from.
    void publish_stats(bool version) const;

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    std::shared_ptr<store_shared> shared_;
    index_builder builder_;
    index_view current_;
    std::map<std::uint32_t, segment_info> segments_;
    std::shared_ptr<const segment_table> table_;  // rebuilt only when segments come or go
    std::uint64_t sequence_ = 0;
    std::uint64_t live_bytes_ = 0;
    inbox_channel<index_message> inbox_;
    inbox_channel<snapshot_message>& snapshots_;
    inbox_channel<compaction_message>* compaction_ = nullptr;
    std::optional<stop_request> stop_;       // a close is under way
    bool stop_sent_to_compaction_ = false;
    bool compaction_stopped_ = false;
    // Changes applied since the last publish, and whether any of them added or retired a
    // slab (those are published at once, so deletions and compaction plans are not held up).
    std::size_t unpublished_ = 0;
    bool structural_ = false;
    // Compaction results to apply, the front one under way, and how many of its moves are
    // done. Meanwhile compaction is not shown new versions to plan from: they still list
    // the sources.
    std::deque<compaction_result> merges_;
    bool merge_begun_ = false;
    std::uint32_t merge_output_ = 0;
    std::size_t merged_moves_ = 0;
    std::vector<std::string_view> keys_;  // of the batch being applied, to prefetch ahead
};

}  // namespace fugu::detail
