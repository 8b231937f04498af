// SPDX-License-Identifier: MIT
// store_stats: figures a store reports about itself (store::stats()). A plain value,
// copied out of the store; it does not change after it was taken.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fugu {

/// One slab in use by the store.
struct segment_stats {
    std::uint64_t id = 0;
    std::uint64_t min_generation = 0;
    std::uint64_t max_generation = 0;
    std::uint64_t size_bytes = 0;   // bytes in the slab, headers and records included
    std::uint64_t live_bytes = 0;   // key and value bytes the current version still refers to
    std::uint64_t stale_bytes = 0;  // size_bytes - live_bytes
    std::uint64_t live_entries = 0; // keys whose current value is in this slab
    bool merged = false;            // written by compaction rather than by the writer
    bool sealed = false;            // complete; only the output slab is unsealed
};

struct store_stats {
    std::uint64_t keys = 0;           // live keys in the newest version
    std::uint64_t last_sequence = 0;  // highest sequence number made visible
    std::uint64_t live_bytes = 0;     // key + value bytes of live entries
    std::uint64_t disk_bytes = 0;     // bytes of all slabs in use
    std::uint64_t stale_bytes = 0;    // disk_bytes - live_bytes
    std::vector<segment_stats> segments;

    std::uint64_t saves = 0;           // change sets acknowledged since open
    std::uint64_t bytes_saved = 0;     // key + value bytes of those change sets
    std::uint64_t bytes_written = 0;   // bytes written to slabs since open (all writers)
    std::uint64_t group_commits = 0;   // writes the writer issued for those saves
    std::uint64_t syncs = 0;           // fdatasyncs issued by the writer
    std::uint64_t compactions = 0;     // compaction passes completed since open
    std::uint64_t bytes_rewritten = 0; // bytes compaction wrote since open

    /// disk_bytes / live_bytes (1.0 for an empty store).
    double space_amplification = 1.0;
    /// bytes_written / bytes_saved since open (0 before the first save).
    double write_amplification = 0.0;

    std::uint64_t index_bytes = 0;  // RAM held by the newest index version
    std::string io_engine;          // "io_uring", "threads" or "memory"
    std::string io_engine_note;     // why io_uring is not used, when it is not
};

}  // namespace fugu
