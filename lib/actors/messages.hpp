// SPDX-License-Identifier: MIT
// The typed messages the actors exchange, and the channel type that carries them. A save
// travels facade -> allocation -> writer -> index, which completes it; a stop travels the
// same way (and on to the snapshots actor) behind everything sent before it, so a close
// drains the mesh.
#pragma once

#include "actors/version.hpp"
#include "io/completion.hpp"

#include <fugu/change_set.hpp>
#include <fugu/detail/handlers.hpp>
#include <fugu/error.hpp>

#include <boost/asio/experimental/concurrent_channel.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace fugu::detail {

// Every edge of the mesh is a bounded channel: a full inbox makes the sender wait, which
// is how backpressure reaches async_save instead of memory growing without bound.
template <class Message>
using inbox_channel = boost::asio::experimental::concurrent_channel<void(error_code, Message)>;

// One async_save on its way through the mesh. The handler keeps outstanding work on its
// executor while parked here.
struct pending_save {
    pending_save(change_set c, diagnostics* d, save_handler h, const boost::asio::any_io_executor& ex)
        : changes(std::move(c)), diag(d), completion(std::move(h), ex) {}

    change_set changes;
    diagnostics* diag;                          // caller's, may be null
    pending_completion<save_handler> completion;
    std::uint64_t sequence = 0;                 // set by the allocation actor
    std::uint64_t slab_id = 0;                  // output slab chosen by the allocation actor
};
using save_ptr = std::unique_ptr<pending_save>;

// Ends an actor's loop. It is sent after everything else the sender had to send, and each
// actor forwards it downstream once it has passed on all earlier work. The last actor
// runs `done` (which completes async_close).
struct close_op {
    virtual ~close_op() = default;
    virtual void finish() = 0;
};
struct stop_request {
    std::shared_ptr<close_op> op;
};

// allocation -> writer: change sets with sequence numbers and output slabs assigned, in
// sequence order.
struct write_request {
    std::vector<save_ptr> saves;
};

// writer -> index: change sets now written (and synced, under durability::fsync), with
// where each put's value landed, in put order across all saves.
struct apply_request {
    std::vector<save_ptr> saves;
    std::vector<value_ref> refs;
    // Slabs this write began (the writer rotated) or sealed, for the segment table.
    std::vector<segment_info> opened;
    std::vector<std::uint64_t> sealed;
};

// index -> snapshots: a new version. The index actor completes saves itself as soon as
// it applied them and raised store_shared::applied_sequence; a snapshot asked for after
// that waits for a version at least that new, so a save still completes only once every
// snapshot taken afterwards sees it.
struct publish_request {
    std::shared_ptr<const version> next;
};

// snapshots -> index: a snapshot waits; publish what has been applied.
struct publish_demand {};

// facade -> snapshots.
struct snapshot_request {
    explicit snapshot_request(snapshot_handler h, const boost::asio::any_io_executor& ex)
        : completion(std::move(h), ex) {}
    pending_completion<snapshot_handler> completion;
};

// compaction -> index: a merged slab, published, and the entries copied into it. Each
// moves to the new place only if the index still points where compaction read it.
struct moved_entry {
    std::uint32_t key_offset;  // into compaction_result::keys
    std::uint32_t key_length;
    value_ref from;
    value_ref to;
};
struct compaction_result {
    segment_info output;
    std::vector<std::uint32_t> sources;
    std::string keys;
    std::vector<moved_entry> moves;
};
// compaction -> index, the compaction actor's last message during a close.
struct compaction_stopped {};

// facade -> compaction: run a pass now.
struct compact_request {
    compact_request(done_handler h, const boost::asio::any_io_executor& ex)
        : completion(std::move(h), ex) {}
    pending_completion<done_handler> completion;
};
// index -> compaction: a new version is out; look again.
struct compaction_poke {};
// A retired slab's last reader is gone: it may be deleted.
struct slab_released {
    std::uint64_t id;
};

using allocation_message = std::variant<save_ptr, stop_request>;
using writer_message = std::variant<write_request, stop_request>;
using index_message =
    std::variant<apply_request, compaction_result, compaction_stopped, publish_demand, stop_request>;
using compaction_message =
    std::variant<compaction_poke, std::unique_ptr<compact_request>, slab_released, stop_request>;
using snapshot_message = std::variant<publish_request, std::unique_ptr<snapshot_request>, stop_request>;

}  // namespace fugu::detail
