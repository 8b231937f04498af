// SPDX-License-Identifier: MIT
// fault_storage: an in-memory fugu::storage for crash and error tests, in the spirit of
// LevelDB's fault-injection Env and SQLite's crash VFS. It keeps, per slab, the bytes
// reads see and the bytes a power cut would keep, numbers every I/O operation, fails the
// ones it is told to, and builds the storage a machine would find after losing power.
// All state sits behind one mutex; slab handles share it with the storage.
//
// The durability model:
// - A write is durable only once a sync that started after the write completed has
//   succeeded: async_write with sync=true (covering itself), async_sync, or truncate
//   (which fdatasyncs). A write "completes" when its handler is about to run, so a sync
//   issued while a write is still in flight does not cover it (rule R1).
// - Directory effects are durable when the call returns, because file_storage syncs the
//   directory inside create (permanent slabs), publish and remove. Creating a temporary
//   slab syncs nothing: its name becomes durable only with the next call that syncs the
//   directory. So no crash image ever undoes a create, publish or remove that returned;
//   only an unsynced temporary name may be missing from one.
// - A failed sync makes nothing durable; reads still see the written bytes.
// - Torn sectors damage only bytes that were never synced (powersafe overwrite).
#pragma once

#include <fugu/error.hpp>
#include <fugu/storage.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fugu::test {

// The operations the counter numbers. lock() and list() are not counted.
enum class fault_op { create, open, write, sync, read, publish, remove, truncate };
std::string_view to_string(fault_op op) noexcept;

struct fault_op_record {
    std::uint64_t number = 0;  // 1 for the first operation
    fault_op kind = fault_op::create;
    std::uint64_t slab = 0;
    bool temporary = false;    // create, remove: which name
    std::uint64_t offset = 0;  // write, read; truncate: the new size
    std::uint64_t length = 0;  // write, read
    bool sync = false;         // write with sync
    error_code result;         // the error it was given when it started; empty if none
};
// "#7 write slab 2 @4096+512 sync: Input/output error"
std::string to_string(const fault_op_record& op);

enum class crash_mode {
    drop,  // only synced bytes survive
    keep,  // every written byte survives (a crash of the process, not of the machine)
    tear,  // synced bytes, then a seeded prefix of the unsynced ones ending in a torn sector
};

class fault_storage final : public fugu::storage {
public:
    // Completions hop through Asio's system executor before reaching the handler's own.
    fault_storage();
    // Completions are posted to `completion_executor` first: reproducible runs on a
    // single-threaded io_context.
    explicit fault_storage(boost::asio::any_io_executor completion_executor);
    ~fault_storage() override;
    fault_storage(const fault_storage&) = delete;
    fault_storage& operator=(const fault_storage&) = delete;

    error_code lock() override;
    void unlock() noexcept override;
    result<std::vector<slab_entry>> list() override;
    result<std::shared_ptr<slab>> create(std::uint64_t id, bool temporary) override;
    result<std::shared_ptr<slab>> open(std::uint64_t id) override;
    error_code publish(std::uint64_t id) override;
    error_code remove(std::uint64_t id, bool temporary) override;
    std::string location() const override { return "fault"; }
    diagnostics last_diagnostics() const override;

    // Operation `n` (1-based; see op_count) fails with `ec` and changes nothing, and so
    // does every later one when `persistent`. A failing write still lands its first
    // `written_prefix` bytes (unsynced), so a short write is modelled; a prefix at least
    // as long as the write means the write landed and its sync failed. Replaces any
    // earlier fail_at.
    void fail_at(std::uint64_t n,
                 error_code ec,
                 bool persistent = false,
                 std::size_t written_prefix = 0);
    // Removes what fail_at set up (not a power cut).
    void clear_faults();

    // When operation `n` starts the machine loses power: it and every later operation
    // (and lock and list) fail with EIO and change nothing.
    void power_cut_at(std::uint64_t n);
    bool power_lost() const;

    // What a restarted machine would find if power were lost now (or at the power cut):
    // a new, unlocked fault_storage with no faults, completing on the same executor.
    // `seed` makes tear deterministic (sector size 512 or 4096, cut point, fill);
    // `sector` (512 or 4096) fixes the sector size of tear instead.
    std::shared_ptr<fault_storage> crash_image(crash_mode mode, std::uint64_t seed = 0,
                                               std::uint64_t sector = 0) const;
    // The same, completing on `completion_executor` instead.
    std::shared_ptr<fault_storage> crash_image(crash_mode mode, std::uint64_t seed, std::uint64_t sector,
                                               boost::asio::any_io_executor completion_executor) const;

    // Operations started so far: the last valid `n` for fail_at.
    std::uint64_t op_count() const;
    std::vector<fault_op_record> op_log() const;

    // What reads of the slab see, and what would survive a power cut (drop), or nullopt
    // when there is no such slab.
    std::optional<std::vector<std::byte>> contents(std::uint64_t id, bool temporary = false) const;
    std::optional<std::vector<std::byte>> durable_contents(std::uint64_t id,
                                                           bool temporary = false) const;

    struct state;  // shared with the slab handles; defined in fault_storage.cpp

private:
    explicit fault_storage(std::shared_ptr<state> st);
    std::shared_ptr<state> state_;
};

}  // namespace fugu::test
