// SPDX-License-Identifier: MIT
// fugu::snapshot and its key iteration, and the read path: index lookup in RAM, then the
// value block, checked against its CRC before a byte is returned. The block comes from
// memory when it can (a slab file's read-only map, a memory slab: copied, then checked,
// on the calling thread), else from one positioned read through the slab. No actor is
// involved. snapshot::try_read is the same read, stopping with errc::would_block where
// the async one would start the engine read.
#include "snapshot_state.hpp"

#include "format/format.hpp"
#include "format/coding.hpp"
#include "format/crc32c.hpp"
#include "format/record.hpp"
#include "io/completion.hpp"

#include <fugu/limits.hpp>
#include <fugu/snapshot.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/system_executor.hpp>

#include <array>
#include <span>
#include <string>

namespace fugu {

namespace asio = boost::asio;

struct key_iterator::state {
    std::shared_ptr<detail::snapshot_state> owner;  // keeps the index nodes alive
    detail::index_view::iterator it;
    detail::index_view::iterator end;
};

key_iterator::key_iterator() noexcept = default;
key_iterator::key_iterator(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
key_iterator::key_iterator(const key_iterator& o)
    : s_(o.s_ ? std::make_unique<state>(*o.s_) : nullptr) {}
key_iterator::key_iterator(key_iterator&&) noexcept = default;
key_iterator& key_iterator::operator=(const key_iterator& o) {
    if (this != &o) s_ = o.s_ ? std::make_unique<state>(*o.s_) : nullptr;
    return *this;
}
key_iterator& key_iterator::operator=(key_iterator&&) noexcept = default;
key_iterator::~key_iterator() = default;

std::string_view key_iterator::operator*() const noexcept { return s_->it.key(); }

key_iterator& key_iterator::operator++() {
    ++s_->it;
    return *this;
}

bool key_iterator::at_end() const noexcept { return !s_ || s_->it == s_->end; }

snapshot::snapshot() noexcept = default;
snapshot::snapshot(std::shared_ptr<detail::snapshot_state> state) noexcept
    : state_(std::move(state)) {}
snapshot::snapshot(snapshot&&) noexcept = default;
snapshot& snapshot::operator=(snapshot&&) noexcept = default;
snapshot::~snapshot() = default;

std::uint64_t snapshot::sequence() const noexcept {
    return state_ ? state_->view().sequence : 0;
}

std::size_t snapshot::size() const noexcept { return state_ ? state_->view().index.size() : 0; }

bool snapshot::contains(std::string_view key) const noexcept {
    return state_ && state_->view().index.contains(key);
}

key_range snapshot::keys() const {
    if (!state_) return key_range(key_iterator{});
    const auto& idx = state_->view().index;
    return key_range(key_iterator(
        std::make_unique<key_iterator::state>(key_iterator::state{state_, idx.begin(), idx.end()})));
}

key_range snapshot::keys_from(std::string_view start) const {
    if (!state_) return key_range(key_iterator{});
    const auto& idx = state_->view().index;
    return key_range(key_iterator(std::make_unique<key_iterator::state>(
        key_iterator::state{state_, idx.lower_bound(start), idx.end()})));
}

std::optional<std::string> snapshot::try_read(std::string_view key, error_code& ec) const {
    if (!state_) {
        ec = make_error_code(errc::store_closed);
        return std::nullopt;
    }
    return detail::try_read_version(state_->view(), *state_->shared(), key, nullptr, ec);
}

std::optional<std::string> snapshot::try_read(std::string_view key,
                                              diagnostics& diag,
                                              error_code& ec) const {
    if (!state_) {
        ec = make_error_code(errc::store_closed);
        return std::nullopt;
    }
    return detail::try_read_version(state_->view(), *state_->shared(), key, &diag, ec);
}

namespace detail {

fugu::snapshot snapshot_access::make(std::shared_ptr<snapshot_state> state) {
    return fugu::snapshot(std::move(state));
}

const std::shared_ptr<snapshot_state>& snapshot_access::state(const fugu::snapshot& s) noexcept {
    return s.state_;
}

void async_read_impl(const std::shared_ptr<snapshot_state>& state,
                     std::string key,
                     diagnostics* diag,
                     value_handler handler) {
    if (!state) {
        pending_completion<value_handler>(std::move(handler), asio::system_executor())
            .complete(make_error_code(errc::store_closed), std::optional<std::string>{});
        return;
    }
    read_version(state->shared_view(), *state->shared(), std::move(key), diag, std::move(handler));
}

read_step read_in_memory(const version& v,
                         const store_shared& shared,
                         std::string_view key,
                         diagnostics* diag) {
    using value = std::optional<std::string>;
    read_step r;
    if (shared.closed.load(std::memory_order_acquire)) {
        r.ec = make_error_code(errc::store_closed);
        return r;
    }
    // No such key can have been saved (change_set refuses it).
    if (key.size() > max_key_size) {
        r.ec = make_error_code(errc::key_too_large);
        return r;
    }
    auto ref = v.index.find(key);
    if (!ref) return r;
    auto seg = v.segments->find(ref->slab);
    if (seg == v.segments->end()) {
        // The index points at a slab this version does not hold: a bug, reported as
        // corruption rather than served.
        if (diag) diag->assign("index refers to slab " + std::to_string(ref->slab) + " not in use");
        r.ec = make_error_code(errc::corruption);
        return r;
    }
    const std::uint64_t at = ref->offset - format::value_crc_size;
    const std::size_t len = ref->length + format::value_crc_size;
    const slab_handle& handle = *seg->second;
    // The version (held by the caller for this call) holds the slab, so its maps.
    if (const copy_source* src = handle.copier()) {
        // The CRC and the value copied apart, so the value lands where it is returned;
        // copied first, then checked: the copy is what was verified and returned,
        // whatever happens to the file meanwhile.
        std::array<std::byte, format::value_crc_size> crc;
        std::string out(ref->length, '\0');
        if (src->copy_now(at, crc) &&
            (out.empty() || src->copy_now(at + format::value_crc_size,
                                          std::as_writable_bytes(std::span(out))))) {
            const std::uint32_t stored = format::get_u32(crc, 0);
            if (format::crc32c_unmask(stored) != format::crc32c(out.data(), out.size())) {
                const auto& name = handle.slab().name();
                if (diag) {
                    diag->assign("value checksum mismatch in " + name + " at offset " +
                                     std::to_string(at),
                                 name, at);
                }
                r.ec = make_error_code(errc::corruption);
                return r;
            }
            r.value = value(std::move(out));
            return r;
        }
    }
    r.io = &handle;
    r.at = at;
    r.len = len;
    return r;
}

std::optional<std::string> try_read_version(const version& v,
                                            const store_shared& shared,
                                            std::string_view key,
                                            diagnostics* diag,
                                            error_code& ec) {
    auto r = read_in_memory(v, shared, key, diag);
    ec = r.io ? make_error_code(errc::would_block) : r.ec;
    return std::move(r.value);
}

void read_version(const std::shared_ptr<const version>& ver,
                  const store_shared& shared,
                  std::string key,
                  diagnostics* diag,
                  value_handler handler) {
    using value = std::optional<std::string>;
    auto step = read_in_memory(*ver, shared, key, diag);
    if (!step.io) {
        // Finished without I/O; the handler still runs later, never inside this call.
        if (step.ec == errc::store_closed) {
            pending_completion<value_handler>(std::move(handler), asio::system_executor())
                .complete(step.ec, value{});
        } else {
            post_completion(shared.executor, std::move(handler), step.ec, std::move(step.value));
        }
        return;
    }
    const auto& ex = shared.executor;
    const std::uint64_t at = step.at;
    const std::size_t len = step.len;
    std::shared_ptr<fugu::slab> slab = step.io->shared_slab();
    // Heap-held so the buffer does not move while the read is in flight.
    auto buf = std::make_unique<std::string>(len, '\0');
    auto* data = reinterpret_cast<std::byte*>(buf->data());
    // The completion runs on the caller's executor, so the handler is called directly.
    auto target = asio::get_associated_executor(handler, ex);
    // The version keeps the slab listed (not deleted by compaction) until the read is done.
    auto done = [ver, slab, buf = std::move(buf), diag, at, len,
                 handler = std::move(handler)](error_code ec, std::size_t n) mutable {
        auto report = [&](error_code e, std::string what) {
            if (diag) diag->assign(what, slab->name(), at);
            std::move(handler)(e, value{});
        };
        if (ec) {
            report(ec, "reading " + std::to_string(len) + " bytes at offset " + std::to_string(at) +
                           " of " + slab->name() + " failed: " + ec.message());
            return;
        }
        auto block = std::span<const std::byte>(reinterpret_cast<const std::byte*>(buf->data()), n);
        auto st = n < len ? format::decode_truncated("value block ends early")
                          : format::verify_value_block(block);
        if (!st.ok()) {
            report(make_error_code(errc::corruption),
                   std::string(st.reason) + " in " + slab->name() + " at offset " + std::to_string(at));
            return;
        }
        buf->erase(0, format::value_crc_size);
        std::move(handler)(error_code{}, value(std::move(*buf)));
    };
    slab->async_read(at, std::span<std::byte>(data, len), asio::bind_executor(target, std::move(done)));
}

}  // namespace detail
}  // namespace fugu
