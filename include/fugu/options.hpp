// SPDX-License-Identifier: MIT
// Options for opening a store. A plain value type; every field has a safe default.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>

namespace fugu {

/// When async_save completes, relative to the disk.
enum class durability {
    /// After an fdatasync that covers the change set: survives process crash, OS crash
    /// and power loss (on storage that honours flushes).
    fsync,
    /// After the write reaches the operating system: survives a process crash only.
    os_buffered,
};

/// Which engine performs slab file I/O.
enum class io_engine {
    /// io_uring where a ring can be created, else threads. The reason for falling back is
    /// recorded (file_storage::engine_note()).
    automatic,
    /// io_uring only; opening fails with errc::io_engine_unavailable without it.
    io_uring,
    /// pread/pwrite/fdatasync on a small thread pool: portable.
    threads,
};

struct options {
    /// Default: durability::fsync.
    fugu::durability durability = fugu::durability::fsync;

    /// Default: io_engine::automatic.
    fugu::io_engine io_engine = fugu::io_engine::automatic;

    /// Create the directory when it does not exist. Default: true.
    bool create_if_missing = true;

    /// Fail with errc::store_exists when the directory already holds a store. Default: false.
    bool error_if_exists = false;

    /// The coefficient `a` of the geometric series of slab sizes: an output slab is
    /// limited to a + S * (slab_growth - 1) bytes, where S is the bytes of all other slabs,
    /// so the number of slabs stays logarithmic in the data (docs/design.md).
    /// Default: 4 MiB. Range: 64 KiB .. 1 GiB.
    std::uint64_t base_slab_size = std::uint64_t{4} << 20;

    /// The ratio `r` of that series. The output slab can reach (r - 1) times the rest of
    /// the store and compaction cannot touch it until it is sealed, so a small r keeps the
    /// unmergeable share of the store small. Default: 1.125. Range: 1.1 .. 4.
    double slab_growth = 1.125;

    /// Compaction runs when the live key and value bytes fall below this share of the
    /// bytes of all slabs, the output slab included: space amplification
    /// (store_stats::space_amplification) stays near 1 / compaction_threshold, plus the
    /// output of a merge while its sources are still on disk. Default: 0.7.
    /// Range: 0.1 .. 0.95.
    double compaction_threshold = 0.7;

    /// Run compaction in the background when the threshold is crossed; when false it
    /// runs only on store::async_compact. Default: true.
    bool background_compaction = true;

    /// Most bytes per second compaction writes, so foreground latency stays flat;
    /// 0 = unlimited. Default: 0.
    std::uint64_t compaction_rate_limit = 0;

    /// Where the compaction actor runs: its strand is made on this executor. Empty (the
    /// default) means the store's own executor, so a store served by one thread does all
    /// its work on that thread. Give it the executor of another thread (an io_context or
    /// thread_pool of its own) and a merge's reading, checking and re-encoding run beside
    /// the saves instead of between them; only the index updates that move entries to the
    /// merged slab stay with the store. It must keep running until the store is closed.
    boost::asio::any_io_executor compaction_executor;

    /// Change sets that may wait for the writer before async_save waits for room
    /// (backpressure). Default: 4096. Range: 1 .. 1,000,000.
    std::size_t max_pending_saves = 4096;

    /// Most bytes of change sets the writer puts into one write (one group commit).
    /// Default: 8 MiB. A single larger change set is still written, alone.
    std::size_t max_group_commit_bytes = std::size_t{8} << 20;

    /// Point reads of file slabs take their bytes from a read-only memory map of the slab
    /// (no system call per read) rather than a read through the I/O engine. Values are
    /// still checked against their CRC before they are returned. The cost, as with every
    /// memory-mapped store: a disk error on a mapped page, or a slab file truncated by
    /// another process, raises SIGBUS in the reading thread instead of returning an error.
    /// Default: true.
    bool mapped_reads = true;

    /// Permission bits of files the store creates (the umask still applies). Default: 0600.
    unsigned file_mode = 0600;

    /// Permission bits of the directory when the store creates it. Default: 0700.
    unsigned directory_mode = 0700;
};

}  // namespace fugu
