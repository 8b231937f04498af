// SPDX-License-Identifier: MIT
// fugu::memory_storage: slabs kept in RAM, for tests and caches. The object owns the
// slabs, so a store closed and reopened on the same memory_storage finds its data again;
// open slab handles share their bytes with it. Every member may be called from several
// threads at once.
#pragma once

#include <fugu/detail/config.hpp>
#include <fugu/error.hpp>
#include <fugu/storage.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fugu {

/// Nothing survives the process. Slab operations copy the bytes during the call and
/// complete through a post, never inside the call: first to the completion executor,
/// then on the handler's own associated executor.
class FUGU_EXPORT memory_storage final : public storage {
public:
    /// Completions hop through Asio's system executor (a background thread) before
    /// reaching the handler's executor.
    memory_storage();

    /// Completions are posted to `completion_executor` (cheapest when it is the one the
    /// store runs on; a single-threaded io_context then also makes runs reproducible).
    explicit memory_storage(boost::asio::any_io_executor completion_executor);

    ~memory_storage() override;
    memory_storage(const memory_storage&) = delete;
    memory_storage& operator=(const memory_storage&) = delete;

    /// errc::store_locked while held (by any store opened on this object).
    error_code lock() override;
    void unlock() noexcept override;

    /// Metadata calls fail with errc::store_closed unless the lock is held; missing and
    /// existing slabs give ENOENT and EEXIST, as a directory would.
    result<std::vector<slab_entry>> list() override;
    result<std::shared_ptr<slab>> create(std::uint64_t id, bool temporary) override;
    result<std::shared_ptr<slab>> open(std::uint64_t id) override;
    error_code publish(std::uint64_t id) override;
    error_code remove(std::uint64_t id, bool temporary) override;

    /// "memory".
    std::string location() const override;

    diagnostics last_diagnostics() const override;

    /// Bytes held by all slabs still present (removed slabs still open are not counted).
    std::uint64_t bytes_used() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace fugu
