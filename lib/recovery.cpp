// SPDX-License-Identifier: MIT
#include "recovery.hpp"

#include "actors/record_codec.hpp"
#include "format/record.hpp"
#include "format/record_scanner.hpp"
#include "format/slab_header.hpp"
#include "io/await.hpp"
#include "load_plan.hpp"
#include "slab_reader.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace fugu::detail {

namespace asio = boost::asio;
using boost::system::result;

namespace {

struct found_slab {
    std::uint64_t id = 0;
    std::shared_ptr<fugu::slab> slab;
    format::slab_header header;
};

error_code fail(diagnostics* diag, errc code, const std::string& what, const fugu::slab& s,
                std::uint64_t offset) {
    if (diag) {
        diag->assign(what + " in " + s.name() + " at offset " + std::to_string(offset), s.name(),
                     offset);
    }
    return make_error_code(code);
}

error_code fail_io(diagnostics* diag, error_code ec, const std::string& what, const fugu::slab& s,
                   std::uint64_t offset) {
    if (diag) {
        diag->assign(what + " " + s.name() + " at offset " + std::to_string(offset) +
                         " failed: " + ec.message(),
                     s.name(), offset);
    }
    return ec;
}

class recoverer {
public:
    recoverer(store_shared& shared, diagnostics* diag) : shared_(shared), diag_(diag) {}

    asio::awaitable<result<recovery_result>> run();

private:
    asio::awaitable<error_code> load(found_slab& f, bool newest_log);
    asio::awaitable<error_code> damaged(found_slab& f, slab_reader& r, std::uint64_t at,
                                        std::string_view reason, bool newest_log, bool& torn);
    void unaccount(std::string_view key, const value_ref& old);

    store_shared& shared_;
    diagnostics* diag_;
    index_builder builder_;
    index_state index_;
    std::uint64_t max_sequence_ = 0;
    output_slab_state tail_;  // the newest log slab as scanned
};

void recoverer::unaccount(std::string_view key, const value_ref& old) {
    auto it = index_.segments.find(old.slab);
    if (it != index_.segments.end()) {
        it->second.live_bytes -= key.size() + old.length;
        it->second.live_entries -= 1;
    }
}

// Damage at `at`. In the newest log slab it is a torn tail unless a later valid record
// says the bytes at `at` had already been synced when it was written.
asio::awaitable<error_code> recoverer::damaged(found_slab& f, slab_reader& r, std::uint64_t at,
                                               std::string_view reason, bool newest_log,
                                               bool& torn) {
    const std::string why(reason);
    if (!newest_log) co_return fail(diag_, errc::corruption, why, *f.slab, at);
    const std::uint64_t size = r.size();
    for (std::uint64_t pos = at + 1; pos + format::record_header_size <= size;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(read_chunk, size - pos));
        auto bytes = co_await r.get(pos, n);
        if (!bytes) co_return fail_io(diag_, bytes.error(), "reading", *f.slab, pos);
        const std::span<const std::byte> b = *bytes;
        for (auto h = format::find_next_valid_header(b, pos, pos); h;
             h = format::find_next_valid_header(b, h->offset + 1, pos)) {
            // A genuine record never claims bytes past its own start were synced (the
            // search skips those), so one claiming the damaged bytes were synced means
            // they had been: damage, not a torn write.
            if (h->header.synced_upto > at) {
                co_return fail(diag_, errc::corruption,
                               why + " (a record at offset " + std::to_string(h->offset) +
                                   " shows these bytes had been synced)",
                               *f.slab, at);
            }
        }
        if (pos + b.size() >= size) break;
        pos += b.size() - format::record_header_size + 1;  // the first window not yet tried
    }
    torn = true;
    co_return error_code{};
}

asio::awaitable<error_code> recoverer::load(found_slab& f, bool newest_log) {
    slab_reader reader(*f.slab);
    const std::uint64_t size = reader.size();
    const auto id = static_cast<std::uint32_t>(f.id);
    segment_info info;
    info.handle = std::make_shared<slab_handle>(f.slab);
    info.min_generation = f.header.min_generation;
    info.max_generation = f.header.max_generation;
    info.merged = f.header.kind == format::slab_kind::merged;
    index_.segments[id] = info;

    std::uint64_t pos = format::slab_header_size;
    std::uint64_t records = 0, min_seq = 0, max_seq = 0;
    // End of the header or of the last valid sync mark: when it is the end of the slab,
    // a mark vouches for every record and none need be appended.
    std::uint64_t vouched = format::slab_header_size;
    bool sealed = false, torn = false;
    while (pos < size) {
        std::string_view bad;
        auto hb = co_await reader.get(pos, static_cast<std::size_t>(
                                               std::min<std::uint64_t>(format::record_header_size,
                                                                       size - pos)));
        if (!hb) co_return fail_io(diag_, hb.error(), "reading", *f.slab, pos);
        auto h = format::decode_record_header(*hb);
        if (!h.status.ok()) {
            bad = h.status.reason;
        } else if (h.header.synced_upto > pos) {
            // A writer only knows bytes before the record it writes to be durable.
            bad = "record claims bytes after its own start were synced";
        } else if (h.header.record_size() > size - pos) {
            bad = "record runs past the end of the slab";
        } else if (h.header.type == format::record_type::sync_mark) {
            // Vouches for everything before it; a damaged mark itself loses nothing.
            vouched = std::max(vouched, pos + h.header.record_size());
        } else {
            auto body = co_await reader.get(pos + format::record_header_size, h.header.body_length);
            if (!body) co_return fail_io(diag_, body.error(), "reading", *f.slab, pos);
            if (h.header.type == format::record_type::commit) {
                const std::uint64_t body_at = pos + format::record_header_size;
                auto visit = [&](const auto& e) {
                    using T = std::decay_t<decltype(e)>;
                    if constexpr (std::is_same_v<T, format::put_view>) {
                        const value_ref ref{id, static_cast<std::uint32_t>(body_at + e.value_offset_in_body),
                                            e.value_length};
                        if (auto old = builder_.put(e.key, ref)) unaccount(e.key, *old);
                        auto& seg = index_.segments[id];
                        seg.live_bytes += e.key.size() + e.value_length;
                        seg.live_entries += 1;
                    } else {
                        if (auto old = builder_.remove(e.key)) unaccount(e.key, *old);
                    }
                };
                auto st = format::decode_commit_body(h.header, *body, visit);
                if (!st.ok()) {
                    bad = st.reason;
                } else {
                    if (h.header.sequence <= max_sequence_ && max_sequence_ != 0)
                        co_return fail(diag_, errc::corruption, "sequence numbers go backwards",
                                       *f.slab, pos);
                    max_sequence_ = h.header.sequence;
                    if (!records) min_seq = h.header.sequence;
                    max_seq = h.header.sequence;
                    ++records;
                }
            } else {
                auto seal = format::decode_seal_body(h.header, *body);
                if (!seal.status.ok()) {
                    bad = seal.status.reason;
                } else if (seal.seal.record_count != records || seal.seal.data_end != pos) {
                    co_return fail(diag_, errc::corruption,
                                   "seal record disagrees with the records before it", *f.slab, pos);
                } else if (pos + h.header.record_size() != size) {
                    co_return fail(diag_, errc::corruption, "bytes follow the seal record",
                                   *f.slab, pos + h.header.record_size());
                } else {
                    max_sequence_ = std::max(max_sequence_, seal.seal.max_sequence);
                    sealed = true;
                }
            }
        }
        if (!bad.empty()) {
            if (auto ec = co_await damaged(f, reader, pos, bad, newest_log, torn)) co_return ec;
            break;
        }
        pos += h.header.record_size();
    }

    if (torn) {
        // The unsynced end of the newest slab after a crash: cut it off, durably, so the
        // slab is clean for the appends that follow.
        if (auto ec = f.slab->truncate(pos)) co_return fail_io(diag_, ec, "truncating", *f.slab, pos);
    }
    if (!sealed && !newest_log)
        co_return fail(diag_, errc::corruption, "slab ends without its seal record", *f.slab, pos);
    index_.segments[id].sealed = sealed;
    max_sequence_ = std::max(max_sequence_, f.header.first_sequence ? f.header.first_sequence - 1 : 0);
    if (newest_log) {
        tail_.slab = f.slab;
        tail_.id = f.id;
        tail_.end = pos;
        tail_.synced_upto = pos;
        tail_.first_sequence = f.header.first_sequence;
        tail_.records = records;
        tail_.min_sequence = min_seq;
        tail_.max_sequence = max_seq;
        tail_.vouched_upto = vouched;
    }
    co_return error_code{};
}

asio::awaitable<result<recovery_result>> recoverer::run() {
    auto& storage = *shared_.storage;
    auto listed = storage.list();
    if (!listed) {
        if (diag_) diag_->assign("listing " + storage.location() + " failed: " + listed.error().message());
        co_return listed.error();
    }
    std::uint64_t max_id = 0;
    for (const auto& e : *listed) max_id = std::max(max_id, e.id);

    std::vector<found_slab> found;
    // Slabs of at most a header's size whose header does not decode: perhaps creations
    // the writer or recovery never finished. Judged once every other header is known.
    std::vector<std::pair<found_slab, format::slab_header_decode>> headerless;
    for (const auto& e : *listed) {
        if (e.temporary) {
            // A compaction output that was never published: its sources are intact.
            if (auto ec = storage.remove(e.id, true)) co_return ec;
            continue;
        }
        if (e.id > 0xffffffffu) {
            if (diag_) diag_->assign("slab id " + std::to_string(e.id) + " is out of range in " + storage.location());
            co_return make_error_code(errc::corruption);
        }
        auto opened = storage.open(e.id);
        if (!opened) co_return opened.error();
        found_slab f;
        f.id = e.id;
        f.slab = std::move(*opened);
        std::array<std::byte, format::slab_header_size> hb{};
        const std::size_t want = static_cast<std::size_t>(
            std::min<std::uint64_t>(hb.size(), f.slab->size()));
        auto r = co_await read_at(*f.slab, 0, std::span(hb.data(), want));
        if (r.ec) co_return fail_io(diag_, r.ec, "reading", *f.slab, 0);
        auto h = format::decode_slab_header(std::span<const std::byte>(hb.data(), r.bytes));
        if (!h.status.ok()) {
            if (may_be_interrupted_creation(f.slab->size(), h)) {
                headerless.emplace_back(std::move(f), h);
                continue;
            }
            const errc code = h.status.truncated() ? errc::corruption : h.error;
            co_return fail(diag_, code, std::string("slab header: ") + std::string(h.status.reason),
                           *f.slab, 0);
        }
        if (h.header.slab_id != e.id)
            co_return fail(diag_, errc::corruption, "slab header names another slab id", *f.slab, 16);
        f.header = h.header;
        found.push_back(std::move(f));
    }

    std::vector<planned_slab> headers;
    headers.reserve(found.size());
    for (const auto& f : found) headers.push_back({f.id, f.header});
    const load_plan plan = plan_load(headers);

    // A log slab is created, then its header is written and synced, and only then does
    // anything go into it; its generation is its id. So a slab holding no more than a
    // header that does not decode, and that would be the newest log slab in generation
    // order, is a creation that was interrupted: nothing was ever acknowledged from it,
    // and it is removed. Its id need not be the highest: compaction may have published a
    // merged slab (of older generations) with a higher id meanwhile. Anywhere else such a
    // slab is damage.
    for (auto& [f, h] : headerless) {
        if (plan.is_interrupted_creation(f.id)) {
            f.slab.reset();
            if (auto ec = storage.remove(f.id, false)) co_return ec;
            continue;
        }
        const errc code = h.status.truncated() ? errc::corruption : h.error;
        co_return fail(diag_, code, std::string("slab header: ") + std::string(h.status.reason),
                       *f.slab, 0);
    }
    if (!plan.overlapping.empty()) {
        co_return fail(diag_, errc::corruption,
                       "generation range overlaps another slab's without containing it",
                       *found[plan.overlapping.front()].slab, 24);
    }
    for (std::size_t i = 0; i < plan.keep.size(); ++i) {
        auto& f = found[plan.keep[i]];
        const bool newest_log = i + 1 == plan.keep.size() && f.header.kind == format::slab_kind::log;
        if (auto ec = co_await load(f, newest_log)) co_return ec;
    }
    for (std::size_t i : plan.superseded) {
        if (auto ec = storage.remove(found[i].id, false)) co_return ec;
    }

    recovery_result out;
    const std::uint64_t next_sequence = max_sequence_ + 1;
    std::uint64_t next_id = max_id + 1;
    if (tail_.slab && !index_.segments[static_cast<std::uint32_t>(tail_.id)].sealed) {
        // Make what was found durable before building on it: after a crash under
        // os_buffered it may sit only in the page cache.
        if (auto ec = co_await sync_slab(*tail_.slab)) co_return fail_io(diag_, ec, "syncing", *tail_.slab, 0);
        // Nothing vouches yet for the last records (a crash before the writer's sync
        // mark, or saves under os_buffered): now that they are durable, a sync mark says
        // so, and later damage to them is corruption rather than a torn tail.
        if (tail_.vouched_upto < tail_.end) {
            std::vector<std::byte> mark;
            const std::uint64_t seq = tail_.records ? tail_.max_sequence
                                                    : (tail_.first_sequence ? tail_.first_sequence - 1 : 0);
            format::append_sync_mark(mark, seq, tail_.end);
            if (auto ec = co_await write_at(*tail_.slab, tail_.end, mark, true))
                co_return fail_io(diag_, ec, "writing a sync mark to", *tail_.slab, tail_.end);
            tail_.end += mark.size();
            tail_.vouched_upto = tail_.end;
            tail_.synced_upto = tail_.end;
        }
        out.output = tail_;
    } else {
        const std::uint64_t id = next_id++;
        auto created = storage.create(id, false);
        if (!created) {
            if (diag_) diag_->assign("creating a slab in " + storage.location() + " failed: " + created.error().message());
            co_return created.error();
        }
        auto header = log_slab_header(id, next_sequence);
        if (auto ec = co_await write_at(**created, 0, header, true))
            co_return fail_io(diag_, ec, "writing the header of", **created, 0);
        out.output.slab = *created;
        out.output.id = id;
        out.output.end = out.output.synced_upto = out.output.vouched_upto = header.size();
        out.output.first_sequence = next_sequence;
        segment_info info;
        info.handle = std::make_shared<slab_handle>(*created);
        info.min_generation = info.max_generation = id;
        index_.segments[static_cast<std::uint32_t>(id)] = info;
    }

    index_.builder = std::move(builder_);
    index_.sequence = max_sequence_;
    shared_.next_slab_id.store(next_id);
    out.index = std::move(index_);
    out.allocation.next_sequence = next_sequence;
    out.allocation.output_slab_id = out.output.id;
    out.allocation.output_bytes = out.output.end;
    co_return out;
}

}  // namespace

asio::awaitable<result<recovery_result>> recover(store_shared& shared, diagnostics* diag) {
    recoverer r(shared, diag);
    co_return co_await r.run();
}

}  // namespace fugu::detail
