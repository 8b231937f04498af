// SPDX-License-Identifier: MIT
// fugu::file_storage: a store kept in one directory, one file per slab plus a LOCK file
// that an open file description lock holds for as long as the store is open. Every member
// may be called from several threads at once; the object owns the directory and LOCK
// descriptors, and each open slab owns its own file descriptor.
#pragma once

#include <fugu/detail/config.hpp>
#include <fugu/error.hpp>
#include <fugu/options.hpp>
#include <fugu/storage.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fugu {

/// Slabs as files `slab-<16 hex digits>.fugu` in a directory (`.fugu.tmp` while a
/// temporary slab is unpublished). Names it did not make are ignored, counted and never
/// deleted. Every file operation goes through one descriptor of the directory opened by
/// lock(), so renaming or replacing the path later cannot redirect the store's I/O.
///
/// Durability: creating a permanent slab, publishing and removing each fsync the directory
/// before returning; slab writes with `sync` and async_sync are fdatasync.
///
/// The lock is advisory (it keeps out other Fugu handles, not other programs) and is not
/// supported on NFS.
class FUGU_EXPORT file_storage final : public storage {
public:
    /// Slab I/O goes through the engine chosen by `opts.io_engine`; `ex` is where the
    /// io_uring engine watches its completions (handlers still run on their own associated
    /// executors). Honours opts.create_if_missing, opts.file_mode and
    /// opts.directory_mode. Nothing touches the disk until lock().
    file_storage(boost::asio::any_io_executor ex, std::string directory, const options& opts = {});

    /// Releases the lock if held. Open slabs stay usable: each owns its descriptor.
    ~file_storage() override;

    file_storage(const file_storage&) = delete;
    file_storage& operator=(const file_storage&) = delete;

    /// "io_uring" or "threads"; empty when the requested engine could not be made.
    std::string_view engine_name() const noexcept;

    /// Why io_uring is not in use; empty when it is.
    const std::string& engine_note() const noexcept;

    /// The directory as given to the constructor.
    const std::string& directory() const noexcept;

    /// How many names the last list() ignored (everything but LOCK and slab files).
    std::size_t unknown_files() const noexcept;

    /// The full path of slab `id`, as its slab::name() says: for messages and tools.
    std::string slab_path(std::uint64_t id, bool temporary = false) const;

    /// Opens the directory, creating it (with opts.directory_mode, then fsyncing its
    /// parent) when it is missing and opts.create_if_missing; only the last component of
    /// the path is created. Then takes the lock on its `LOCK` file.
    /// Errors: errc::io_engine_unavailable (opts.io_engine is io_uring and no ring can be
    /// made here); errc::store_not_found; errc::not_a_store (the directory holds files but
    /// no LOCK and no slab: nothing is created in it); errc::store_locked (another handle,
    /// in this process or another, holds it; also when this one already does); ENOTDIR
    /// and EACCES and other system errors unchanged. last_diagnostics() says more.
    error_code lock() override;

    /// Releases the lock and closes the directory. Later metadata calls fail with
    /// errc::store_closed until lock() succeeds again.
    void unlock() noexcept override;

    /// Slab files in the directory, sorted by id. A slab name that is not a regular file
    /// (a symbolic link, a FIFO, a directory) fails the listing with errc::corruption
    /// rather than being followed or opened.
    result<std::vector<slab_entry>> list() override;

    result<std::shared_ptr<slab>> create(std::uint64_t id, bool temporary) override;
    result<std::shared_ptr<slab>> open(std::uint64_t id) override;
    error_code publish(std::uint64_t id) override;
    error_code remove(std::uint64_t id, bool temporary) override;

    /// The directory.
    std::string location() const override;

    diagnostics last_diagnostics() const override;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace fugu
