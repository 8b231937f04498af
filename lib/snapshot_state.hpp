// SPDX-License-Identifier: MIT
// What a fugu::snapshot holds: the version it observes and the store's shared state
// (to refuse reads after the store closed). Immutable; shared by copies across threads.
#pragma once

#include "actors/version.hpp"
#include "store_shared.hpp"

#include <fugu/snapshot.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fugu::detail {

class snapshot_state {
public:
    snapshot_state(std::shared_ptr<const version> v, std::shared_ptr<store_shared> shared)
        : version_(std::move(v)), shared_(std::move(shared)) {}

    const version& view() const noexcept { return *version_; }
    const std::shared_ptr<const version>& shared_view() const noexcept { return version_; }
    const std::shared_ptr<store_shared>& shared() const noexcept { return shared_; }

private:
    std::shared_ptr<const version> version_;
    std::shared_ptr<store_shared> shared_;
};

// The part of a read that needs no I/O: the index lookup, then the value copied from
// memory (a slab map, a memory slab) and checked. Either finished (ec and value; nullopt
// without error when the key is absent) or, with `io` set, the block [at, at + len) of
// that slab must be read through the engine. Shared by the async reads and the try_ ones.
struct read_step {
    error_code ec;
    std::optional<std::string> value;
    const slab_handle* io = nullptr;  // held by the version the caller holds
    std::uint64_t at = 0;
    std::size_t len = 0;
};

read_step read_in_memory(const version& v,
                         const store_shared& shared,
                         std::string_view key,
                         diagnostics* diag);

// read_in_memory for the non-blocking calls: errc::would_block when the engine is needed.
std::optional<std::string> try_read_version(const version& v,
                                            const store_shared& shared,
                                            std::string_view key,
                                            diagnostics* diag,
                                            error_code& ec);

// Reads `key` from `v` (the body of snapshot::async_read, also used by store::async_get
// on the newest readable version). The caller keeps `v` alive for the call.
void read_version(const std::shared_ptr<const version>& v,
                  const store_shared& shared,
                  std::string key,
                  diagnostics* diag,
                  value_handler handler);

// Lets lib/ build snapshots and reach their state; fugu::snapshot befriends it.
struct snapshot_access {
    static fugu::snapshot make(std::shared_ptr<snapshot_state> state);
    static const std::shared_ptr<snapshot_state>& state(const fugu::snapshot& s) noexcept;
};

}  // namespace fugu::detail
