// SPDX-License-Identifier: MIT
// The backing-storage interface: a store keeps its data in slabs, opaque append-only byte
// arrays that a storage creates, lists, opens and removes. file_storage keeps one file per
// slab in a directory; memory_storage keeps them in RAM. Implementations must be safe to
// call from several threads at once; a store serialises its own metadata calls.
#pragma once

#include <fugu/detail/config.hpp>
#include <fugu/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fugu {

template <class T>
using result = boost::system::result<T>;

/// One open slab. Writes only ever append or rewrite bytes past the last synced point;
/// the store never overwrites synced data in place.
class FUGU_EXPORT slab {
public:
    using write_handler = boost::asio::any_completion_handler<void(error_code)>;
    using read_handler = boost::asio::any_completion_handler<void(error_code, std::size_t)>;

    virtual ~slab() = default;

    /// The slab's number in its storage; unique and never reused.
    virtual std::uint64_t id() const noexcept = 0;

    /// What error messages call it: the file's path, or "memory:<id>".
    virtual const std::string& name() const noexcept = 0;

    /// Size in bytes: as found when opened, plus what was written since.
    virtual std::uint64_t size() const noexcept = 0;

    /// Writes all of `data` at `offset` (short writes are continued). With `sync`, an
    /// fdatasync ordered after the write follows, and the handler runs after both.
    /// The handler runs on its associated executor, never inside this call.
    /// REQUIRES: `data` stays valid until the handler runs.
    virtual void async_write(std::uint64_t offset,
                             std::span<const std::byte> data,
                             bool sync,
                             write_handler handler) = 0;

    /// Reads up to out.size() bytes at `offset`; fewer only at the end of the slab.
    /// REQUIRES: `out` stays valid until the handler runs.
    virtual void async_read(std::uint64_t offset,
                            std::span<std::byte> out,
                            read_handler handler) = 0;

    /// Makes every completed write durable (fdatasync).
    virtual void async_sync(write_handler handler) = 0;

    /// Cuts the slab to `new_size` bytes and makes the cut durable. Used only on open,
    /// to remove a torn tail.
    virtual error_code truncate(std::uint64_t new_size) = 0;
};

/// What storage::list reports for each slab.
struct slab_entry {
    std::uint64_t id = 0;
    /// Created with temporary=true and never published: a leftover of an interrupted
    /// compaction, to be removed.
    bool temporary = false;
};

class FUGU_EXPORT storage {
public:
    virtual ~storage() = default;

    /// Takes the exclusive lock for one store, creating the location when allowed.
    /// Fails with errc::store_locked while another holder (this or another process) has it.
    virtual error_code lock() = 0;

    /// Releases the lock taken by lock().
    virtual void unlock() noexcept = 0;

    /// Every slab present, in no particular order. Unknown names are ignored.
    virtual result<std::vector<slab_entry>> list() = 0;

    /// Creates a new, empty slab `id`; fails if it exists. A permanent slab's directory
    /// entry is durable when this returns; a temporary one becomes permanent only through
    /// publish().
    virtual result<std::shared_ptr<slab>> create(std::uint64_t id, bool temporary) = 0;

    /// Opens an existing permanent slab.
    virtual result<std::shared_ptr<slab>> open(std::uint64_t id) = 0;

    /// Atomically turns temporary slab `id` into a permanent one, durably.
    /// REQUIRES: its content was synced.
    virtual error_code publish(std::uint64_t id) = 0;

    /// Removes slab `id` (temporary or not) and makes the removal durable. Open handles
    /// stay readable until released.
    virtual error_code remove(std::uint64_t id, bool temporary) = 0;

    /// Where the store lives, for messages: a directory path or "memory".
    virtual std::string location() const = 0;

    /// Detail about the most recent failure of lock(), list(), create(), open(), publish()
    /// or remove(): the file concerned and what was wrong with it, in words a person can
    /// act on (an error_code cannot carry them). Empty when nothing more is known.
    virtual diagnostics last_diagnostics() const { return {}; }
};

}  // namespace fugu
