// SPDX-License-Identifier: MIT
// A published version of the store: the sequence it observes, the index as of that
// sequence, and the slabs that index points into. Immutable once published; a snapshot
// is a shared pointer to one.
#pragma once

#include "index/index.hpp"
#include "storage/copy_source.hpp"

#include <fugu/storage.hpp>

#include <boost/container/flat_map.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace fugu::detail {

// One slab as versions see it. Every version (and so every snapshot) that can read the
// slab shares this handle, so its destruction means nobody can read the slab any more:
// that is when a compaction's source may be deleted. The index actor arms the release
// hook when it retires the slab, while it still holds a reference, so the destructor,
// on whichever thread drops the last reference, sees it.
class slab_handle {
public:
    using release_hook = std::function<void(std::uint64_t id)>;

    explicit slab_handle(std::shared_ptr<fugu::slab> s) noexcept
        : slab_(std::move(s)), copy_(dynamic_cast<const copy_source*>(slab_.get())) {}
    ~slab_handle() {
        if (on_release_) on_release_(slab_->id());
    }
    slab_handle(const slab_handle&) = delete;
    slab_handle& operator=(const slab_handle&) = delete;

    fugu::slab& slab() const noexcept { return *slab_; }
    const std::shared_ptr<fugu::slab>& shared_slab() const noexcept { return slab_; }
    // The slab's synchronous copy route, or null (a storage of the user's own). Looked up
    // once here rather than with a dynamic_cast on every read.
    const copy_source* copier() const noexcept { return copy_; }

    // REQUIRES: the caller holds a reference; called once, by the index actor.
    void retire(release_hook hook) { on_release_ = std::move(hook); }

private:
    std::shared_ptr<fugu::slab> slab_;
    const copy_source* copy_;
    release_hook on_release_;
};

// What the index actor knows about one slab in use.
struct segment_info {
    std::shared_ptr<slab_handle> handle;
    std::uint64_t min_generation = 0;
    std::uint64_t max_generation = 0;
    std::uint64_t live_bytes = 0;    // key + value bytes the newest version refers to
    std::uint64_t live_entries = 0;  // puts the newest version refers to
    bool merged = false;
    bool sealed = false;
};

// Slab id -> open slab, for readers. Replaced (not modified) when slabs come or go.
using segment_table = boost::container::flat_map<std::uint32_t, std::shared_ptr<slab_handle>>;

struct version {
    std::uint64_t sequence = 0;
    index_view index;
    std::shared_ptr<const segment_table> segments;
};

}  // namespace fugu::detail
