// SPDX-License-Identifier: MIT
// fault_storage: slabs as a pair of byte images (what reads see, what survives a power
// cut) plus the writes not yet covered by a sync, in issue order. A sync applies the
// writes that had completed when it started; crash_image chooses between the images.
#include "support/fault_storage.hpp"

#include "io/completion.hpp"
#include "storage/hooked_handler.hpp"

#include <boost/asio/system_executor.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

namespace fugu::test {
namespace {

using slab_key = std::pair<std::uint64_t, bool>;  // id, temporary

// Offsets past this are refused (EFBIG) rather than allocated.
constexpr std::uint64_t max_slab_bytes = std::uint64_t{1} << 36;

error_code sys(int e) { return {e, boost::system::system_category()}; }

struct pending_write {
    std::uint64_t seq = 0;
    std::uint64_t offset = 0;
    std::vector<std::byte> bytes;
    bool completed = false;  // its handler has been reached: a later sync covers it
};

struct slab_state {
    std::vector<std::byte> current;      // what reads see
    std::vector<std::byte> durable;      // what a power cut keeps
    std::vector<pending_write> pending;  // not yet covered by a sync, in issue order
};

struct entry {
    std::shared_ptr<slab_state> slab;
    bool name_durable = true;  // false for a temporary name no directory sync has covered
};

void put(std::vector<std::byte>& to, std::uint64_t offset, std::span<const std::byte> bytes) {
    const auto end = static_cast<std::size_t>(offset + bytes.size());
    if (end > to.size()) to.resize(end);
    std::copy(bytes.begin(), bytes.end(), to.begin() + static_cast<std::ptrdiff_t>(offset));
}

// The fdatasync of one slab: every write completed before it starts becomes durable.
void sync_slab(slab_state& s) {
    std::erase_if(s.pending, [&s](const pending_write& w) {
        if (w.completed) put(s.durable, w.offset, w.bytes);
        return w.completed;
    });
}

// splitmix64: a tiny generator whose sequence is the same everywhere, so a seed names
// one crash image on every platform.
std::uint64_t next_random(std::uint64_t& s) {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Synced bytes, the unsynced ones up to a sector boundary, then one torn sector of
// garbage or zeros. Boundaries are relative to the start of the file, as on a disk.
std::vector<std::byte> torn_image(const slab_state& s, std::uint64_t& rng, std::uint64_t sector_size) {
    if (s.pending.empty()) return s.durable;
    const auto& cur = s.current;
    const std::uint64_t size = cur.size();
    std::uint64_t first = size;
    for (const auto& w : s.pending) first = std::min(first, w.offset);
    const bool big = next_random(rng) & 1;
    const std::uint64_t sector = sector_size ? sector_size : (big ? 4096 : 512);
    const std::uint64_t lo = first / sector * sector;
    const std::uint64_t hi = (size + sector - 1) / sector * sector;
    const std::uint64_t cut = lo + next_random(rng) % ((hi - lo) / sector + 1) * sector;

    std::vector<std::byte> image = s.durable;
    const std::uint64_t kept_end = std::min(cut, size);
    if (lo < kept_end) {
        put(image, lo,
            std::span(cur).subspan(static_cast<std::size_t>(lo),
                                   static_cast<std::size_t>(kept_end - lo)));
    }
    // Powersafe overwrite: the torn sector never reaches into synced bytes.
    const std::uint64_t torn_begin = std::max<std::uint64_t>(cut, s.durable.size());
    const std::uint64_t torn_end = std::min(cut + sector, size);
    if (torn_begin < torn_end) {
        if (image.size() < torn_end) image.resize(static_cast<std::size_t>(torn_end));
        const bool zeros = next_random(rng) & 1;
        for (auto i = torn_begin; i < torn_end; ++i) {
            image[static_cast<std::size_t>(i)] =
                zeros ? std::byte{0} : static_cast<std::byte>(next_random(rng));
        }
    }
    return image;
}

std::string slab_label(std::uint64_t id, bool temporary) {
    return "fault:" + std::to_string(id) + (temporary ? " (temporary)" : "");
}

}  // namespace

struct fault_storage::state {
    explicit state(boost::asio::any_io_executor ex) : hop(std::move(ex)) {}

    struct planned_fault {
        std::uint64_t at = 0;
        error_code ec;
        bool persistent = false;
        std::size_t written_prefix = 0;
    };
    struct start {
        error_code injected;  // the failure this operation was given, if any
        std::size_t written_prefix = 0;
    };

    // Numbers and logs an operation and decides its fate. REQUIRES: mutex held.
    start begin(fault_op kind,
                std::uint64_t slab,
                bool temporary = false,
                std::uint64_t offset = 0,
                std::uint64_t length = 0,
                bool sync = false) {
        const std::uint64_t n = ++ops;
        if (cut_at && n >= *cut_at) powered_off = true;
        start s;
        if (powered_off) {
            s.injected = sys(EIO);
        } else if (fault && (n == fault->at || (fault->persistent && n > fault->at))) {
            s.injected = fault->ec;
            if (n == fault->at) s.written_prefix = fault->written_prefix;
        }
        log.push_back({n, kind, slab, temporary, offset, length, sync, s.injected});
        if (s.injected) {
            diag.assign("operation #" + std::to_string(n) + " (" + std::string(to_string(kind)) +
                            ") failed by injection: " + s.injected.message(),
                        slab_label(slab, temporary));
        }
        return s;
    }

    // A natural failure of the operation just begun. REQUIRES: mutex held.
    error_code refuse(int e, std::string what, std::uint64_t id, bool temporary) {
        log.back().result = sys(e);
        diag.assign(slab_label(id, temporary) + " " + what, slab_label(id, temporary));
        return sys(e);
    }

    // The directory fsync inside create, publish and remove: every name becomes durable.
    void sync_directory() {
        for (auto& [key, e] : slabs) e.name_durable = true;
    }

    error_code not_usable() {
        if (powered_off) return sys(EIO);
        if (!locked) return make_error_code(errc::store_closed);
        return {};
    }

    const boost::asio::any_io_executor hop;
    mutable std::mutex mutex;
    bool locked = false;
    std::map<slab_key, entry> slabs;
    std::uint64_t ops = 0;
    std::uint64_t next_write_seq = 0;
    std::vector<fault_op_record> log;
    std::optional<planned_fault> fault;
    std::optional<std::uint64_t> cut_at;
    bool powered_off = false;
    diagnostics diag;
};

namespace {

class fault_slab final : public slab {
public:
    using state = fault_storage::state;

    fault_slab(std::shared_ptr<state> st, std::shared_ptr<slab_state> data, std::uint64_t id)
        : st_(std::move(st)),
          data_(std::move(data)),
          id_(id),
          name_("fault:" + std::to_string(id)) {}

    std::uint64_t id() const noexcept override { return id_; }
    const std::string& name() const noexcept override { return name_; }
    std::uint64_t size() const noexcept override {
        std::lock_guard guard(st_->mutex);
        return data_->current.size();
    }

    void async_write(std::uint64_t offset,
                     std::span<const std::byte> data,
                     bool sync,
                     write_handler handler) override {
        error_code ec;
        std::uint64_t unsynced = 0;  // seq of a write that completes when its handler runs
        {
            std::lock_guard guard(st_->mutex);
            const auto s = st_->begin(fault_op::write, id_, false, offset, data.size(), sync);
            auto landed = data;
            if (s.injected) landed = data.first(std::min(s.written_prefix, data.size()));
            if (offset > max_slab_bytes || data.size() > max_slab_bytes) {
                ec = sys(EFBIG);
                st_->log.back().result = ec;
                landed = {};
            } else {
                ec = s.injected;
            }
            if (!landed.empty()) {
                put(data_->current, offset, landed);
                auto& w = data_->pending.emplace_back();
                w.seq = ++st_->next_write_seq;
                w.offset = offset;
                w.bytes.assign(landed.begin(), landed.end());
                unsynced = w.seq;
                if (!ec && sync) {  // the linked fdatasync starts once the write is done
                    w.completed = true;
                    sync_slab(*data_);
                    unsynced = 0;
                }
            }
        }
        if (!unsynced) {
            detail::pending_completion(std::move(handler), st_->hop).complete(ec);
            return;
        }
        auto mark_completed = [st = st_, slab = data_, seq = unsynced](error_code) {
            std::lock_guard guard(st->mutex);
            for (auto& w : slab->pending) {
                if (w.seq == seq) w.completed = true;
            }
        };
        auto hooked = detail::hook_handler(std::move(handler), std::move(mark_completed));
        detail::pending_completion(std::move(hooked), st_->hop).complete(ec);
    }

    void async_read(std::uint64_t offset, std::span<std::byte> out, read_handler handler) override {
        error_code ec;
        std::size_t n = 0;
        {
            std::lock_guard guard(st_->mutex);
            ec = st_->begin(fault_op::read, id_, false, offset, out.size()).injected;
            const auto& cur = data_->current;
            if (!ec && offset < cur.size()) {
                n = static_cast<std::size_t>(
                    std::min<std::uint64_t>(out.size(), cur.size() - offset));
                std::memcpy(out.data(), cur.data() + offset, n);
            }
        }
        detail::pending_completion(std::move(handler), st_->hop).complete(ec, n);
    }

    void async_sync(write_handler handler) override {
        error_code ec;
        {
            std::lock_guard guard(st_->mutex);
            ec = st_->begin(fault_op::sync, id_).injected;
            if (!ec) sync_slab(*data_);
        }
        detail::pending_completion(std::move(handler), st_->hop).complete(ec);
    }

    error_code truncate(std::uint64_t new_size) override {
        std::lock_guard guard(st_->mutex);
        if (auto ec = st_->begin(fault_op::truncate, id_, false, new_size).injected) return ec;
        if (new_size > max_slab_bytes) return st_->log.back().result = sys(EFBIG);
        sync_slab(*data_);  // ftruncate + fdatasync: completed writes become durable too
        const auto size = static_cast<std::size_t>(new_size);
        data_->current.resize(size);
        data_->durable.resize(size);
        std::erase_if(data_->pending, [size](pending_write& w) {
            if (w.offset >= size) return true;
            if (w.offset + w.bytes.size() > size) w.bytes.resize(size - w.offset);
            return false;
        });
        return {};
    }

private:
    const std::shared_ptr<state> st_;
    const std::shared_ptr<slab_state> data_;
    const std::uint64_t id_;
    const std::string name_;
};

}  // namespace

std::string_view to_string(fault_op op) noexcept {
    switch (op) {
        case fault_op::create:
            return "create";
        case fault_op::open:
            return "open";
        case fault_op::write:
            return "write";
        case fault_op::sync:
            return "sync";
        case fault_op::read:
            return "read";
        case fault_op::publish:
            return "publish";
        case fault_op::remove:
            return "remove";
        case fault_op::truncate:
            return "truncate";
    }
    return "?";
}

std::string to_string(const fault_op_record& op) {
    std::string s = "#" + std::to_string(op.number) + " " + std::string(to_string(op.kind)) +
                    " slab " + std::to_string(op.slab);
    if (op.temporary) s += " (temporary)";
    if (op.kind == fault_op::write || op.kind == fault_op::read) {
        s += " @" + std::to_string(op.offset) + "+" + std::to_string(op.length);
    } else if (op.kind == fault_op::truncate) {
        s += " to " + std::to_string(op.offset);
    }
    if (op.sync) s += " sync";
    if (op.result) s += ": " + op.result.message();
    return s;
}

fault_storage::fault_storage()
    : fault_storage(boost::asio::any_io_executor(boost::asio::system_executor())) {}

fault_storage::fault_storage(boost::asio::any_io_executor completion_executor)
    : state_(std::make_shared<state>(std::move(completion_executor))) {}

fault_storage::fault_storage(std::shared_ptr<state> st) : state_(std::move(st)) {}

fault_storage::~fault_storage() = default;

error_code fault_storage::lock() {
    std::lock_guard guard(state_->mutex);
    if (state_->powered_off) return sys(EIO);
    if (state_->locked) return make_error_code(errc::store_locked);
    state_->locked = true;
    return {};
}

void fault_storage::unlock() noexcept {
    std::lock_guard guard(state_->mutex);
    state_->locked = false;
}

result<std::vector<slab_entry>> fault_storage::list() {
    std::lock_guard guard(state_->mutex);
    if (auto ec = state_->not_usable()) return ec;
    std::vector<slab_entry> out;
    for (const auto& [key, e] : state_->slabs) out.push_back({key.first, key.second});
    return out;
}

result<std::shared_ptr<slab>> fault_storage::create(std::uint64_t id, bool temporary) {
    auto& st = *state_;
    std::lock_guard guard(st.mutex);
    if (!st.powered_off && !st.locked) return make_error_code(errc::store_closed);
    if (auto ec = st.begin(fault_op::create, id, temporary).injected) return ec;
    if (st.slabs.contains({id, temporary}))
        return st.refuse(EEXIST, "already exists", id, temporary);
    auto data = std::make_shared<slab_state>();
    st.slabs.emplace(slab_key{id, temporary}, entry{data, false});
    if (!temporary) st.sync_directory();
    return std::make_shared<fault_slab>(state_, std::move(data), id);
}

result<std::shared_ptr<slab>> fault_storage::open(std::uint64_t id) {
    auto& st = *state_;
    std::lock_guard guard(st.mutex);
    if (!st.powered_off && !st.locked) return make_error_code(errc::store_closed);
    if (auto ec = st.begin(fault_op::open, id).injected) return ec;
    const auto it = st.slabs.find({id, false});
    if (it == st.slabs.end()) return st.refuse(ENOENT, "does not exist", id, false);
    return std::make_shared<fault_slab>(state_, it->second.slab, id);
}

error_code fault_storage::publish(std::uint64_t id) {
    auto& st = *state_;
    std::lock_guard guard(st.mutex);
    if (!st.powered_off && !st.locked) return make_error_code(errc::store_closed);
    if (auto ec = st.begin(fault_op::publish, id, true).injected) return ec;
    const auto it = st.slabs.find({id, true});
    if (it == st.slabs.end()) return st.refuse(ENOENT, "does not exist", id, true);
    if (st.slabs.contains({id, false})) return st.refuse(EEXIST, "already exists", id, false);
    auto data = std::move(it->second.slab);
    st.slabs.erase(it);
    st.slabs.emplace(slab_key{id, false}, entry{std::move(data), true});
    st.sync_directory();
    return {};
}

error_code fault_storage::remove(std::uint64_t id, bool temporary) {
    auto& st = *state_;
    std::lock_guard guard(st.mutex);
    if (!st.powered_off && !st.locked) return make_error_code(errc::store_closed);
    if (auto ec = st.begin(fault_op::remove, id, temporary).injected) return ec;
    if (st.slabs.erase({id, temporary}) == 0)
        return st.refuse(ENOENT, "does not exist", id, temporary);
    st.sync_directory();
    return {};
}

diagnostics fault_storage::last_diagnostics() const {
    std::lock_guard guard(state_->mutex);
    return state_->diag;
}

void fault_storage::fail_at(std::uint64_t n,
                            error_code ec,
                            bool persistent,
                            std::size_t written_prefix) {
    std::lock_guard guard(state_->mutex);
    state_->fault = state::planned_fault{n, ec, persistent, written_prefix};
}

void fault_storage::clear_faults() {
    std::lock_guard guard(state_->mutex);
    state_->fault.reset();
}

void fault_storage::power_cut_at(std::uint64_t n) {
    std::lock_guard guard(state_->mutex);
    state_->cut_at = n;
    if (n <= state_->ops) state_->powered_off = true;  // that operation has passed: now
}

bool fault_storage::power_lost() const {
    std::lock_guard guard(state_->mutex);
    return state_->powered_off;
}

std::uint64_t fault_storage::op_count() const {
    std::lock_guard guard(state_->mutex);
    return state_->ops;
}

std::vector<fault_op_record> fault_storage::op_log() const {
    std::lock_guard guard(state_->mutex);
    return state_->log;
}

std::optional<std::vector<std::byte>> fault_storage::contents(std::uint64_t id,
                                                              bool temporary) const {
    std::lock_guard guard(state_->mutex);
    const auto it = state_->slabs.find({id, temporary});
    if (it == state_->slabs.end()) return std::nullopt;
    return it->second.slab->current;
}

std::optional<std::vector<std::byte>> fault_storage::durable_contents(std::uint64_t id,
                                                                      bool temporary) const {
    std::lock_guard guard(state_->mutex);
    const auto it = state_->slabs.find({id, temporary});
    if (it == state_->slabs.end() || !it->second.name_durable) return std::nullopt;
    return it->second.slab->durable;
}

std::shared_ptr<fault_storage> fault_storage::crash_image(crash_mode mode,
                                                          std::uint64_t seed,
                                                          std::uint64_t sector) const {
    return crash_image(mode, seed, sector, state_->hop);
}

std::shared_ptr<fault_storage> fault_storage::crash_image(crash_mode mode,
                                                          std::uint64_t seed,
                                                          std::uint64_t sector,
                                                          boost::asio::any_io_executor ex) const {
    auto image = std::make_shared<state>(std::move(ex));
    std::lock_guard guard(state_->mutex);
    for (const auto& [key, e] : state_->slabs) {
        // Each slab draws from its own stream, so one slab's image does not depend on
        // how many others there are.
        std::uint64_t rng = seed ^ (key.first * 0xd1b54a32d192ed03ULL) ^ (key.second ? 1 : 0);
        next_random(rng);
        if (!e.name_durable) {
            if (mode == crash_mode::drop) continue;
            if (mode == crash_mode::tear && (next_random(rng) & 1)) continue;
        }
        std::vector<std::byte> bytes;
        switch (mode) {
            case crash_mode::drop:
                bytes = e.slab->durable;
                break;
            case crash_mode::keep:
                bytes = e.slab->current;
                break;
            case crash_mode::tear:
                bytes = torn_image(*e.slab, rng, sector);
                break;
        }
        auto copy = std::make_shared<slab_state>();
        copy->current = bytes;
        copy->durable = std::move(bytes);
        image->slabs.emplace(key, entry{std::move(copy), true});
    }
    return std::shared_ptr<fault_storage>(new fault_storage(std::move(image)));
}

}  // namespace fugu::test
