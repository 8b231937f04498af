// SPDX-License-Identifier: MIT
// What a fugu::snapshot holds: the version it observes and the store's shared state
// (to refuse reads after the store closed). Immutable; shared by copies across threads.
#pragma once

#include "actors/version.hpp"
#include "store_shared.hpp"

#include <fugu/snapshot.hpp>

#include <memory>

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
