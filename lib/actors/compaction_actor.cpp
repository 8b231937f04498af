// SPDX-License-Identifier: MIT
#include "actors/compaction_actor.hpp"

#include "actors/live_scan.hpp"
#include "actors/merge_builder.hpp"
#include "actors/version.hpp"
#include "format/record.hpp"
#include "format/slab_header.hpp"
#include "io/await.hpp"
#include "slab_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace fugu::detail {

namespace asio = boost::asio;

namespace {
// Compaction writes its output in pieces of this size (unsynced until the seal).
constexpr std::size_t write_chunk = std::size_t{4} << 20;
// Source entries read between yields. The reader serves whole 4 MiB chunks without
// suspending, and the strand may share its thread with the savers: a short stretch of
// decoding and re-encoding, then the other actors get a turn.
constexpr std::size_t entries_per_turn = 512;
// Index entries walked between yields: a walk reads them in order, far faster than
// lookups, so about the same time per turn.
constexpr std::size_t walk_slice = 16384;
}  // namespace

compaction_actor::compaction_actor(asio::any_io_executor ex,
                                   std::shared_ptr<store_shared> shared,
                                   inbox_channel<index_message>& index)
    : strand_(asio::make_strand(ex)), shared_(std::move(shared)), inbox_(strand_, 64), index_(index) {}

asio::awaitable<void> compaction_actor::run() {
    for (;;) {
        auto [ec, msg] = co_await inbox_.async_receive(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        if (std::holds_alternative<compaction_poke>(msg)) {
            if (shared_->opts.background_compaction && !shared_->closing.load()) co_await pass(false);
        } else if (auto* r = std::get_if<std::unique_ptr<compact_request>>(&msg)) {
            auto req = std::move(*r);
            co_await pass(true);
            std::move(req->completion).complete(error_code{});
        } else if (std::holds_alternative<slab_released>(msg)) {
            delete_released();
        } else {
            index_message out(compaction_stopped{});
            co_await index_.async_send(error_code{}, std::move(out), asio::use_awaitable);
            co_return;
        }
    }
}

void compaction_actor::delete_released() {
    std::vector<std::uint64_t> ids;
    {
        std::lock_guard lock(released_mu_);
        ids.swap(released_);
    }
    for (auto id : ids) {
        if (!retired_.erase(id)) continue;
        // Its merged successor is published and durable; a failed delete only leaves a
        // file the next open removes as superseded.
        if (auto e = shared_->storage->remove(id, false))
            shared_->set_compaction_error("removing merged slab " + std::to_string(id) +
                                          " failed: " + e.message());
    }
}

bool compaction_actor::behind(const published_state& state) const {
    for (const auto& s : state.stats.segments)
        if (retired_.count(s.id)) return true;
    return false;
}

asio::awaitable<void> compaction_actor::pass(bool forced) {
    published_state state = shared_->published();
    // The index actor applies a merge a slice at a time and shows compaction no version
    // until it is done; one that still lists a source of the last merge would only plan
    // that merge again. A background pass waits for the poke that follows; a forced one
    // lets the index actor finish first.
    while (behind(state)) {
        if (!forced || shared_->closing.load()) co_return;
        co_await asio::post(strand_, asio::use_awaitable);
        state = shared_->published();
    }
    if (!state.latest) co_return;
    std::vector<segment_load> loads;
    for (const auto& s : state.stats.segments)
    {
        // What the live entries would take in a merged slab: key, value and each put's
        // fixed framing (a merged slab's record headers are amortised over 64 KiB).
        const std::uint64_t encoded =
            s.live_bytes + s.live_entries * (format::put_entry_fixed_size + format::value_crc_size);
        loads.push_back(segment_load{s.id, s.size_bytes, encoded, s.sealed, s.live_bytes});
    }
    auto plan = plan_compaction(loads, shared_->opts.compaction_threshold, forced);
    if (!plan) co_return;
    if (auto ec = co_await merge(state, *plan)) {
        if (ec != asio::error::operation_aborted)
            shared_->set_compaction_error("compaction failed: " + ec.message());
    }
}

asio::awaitable<void> compaction_actor::pace(std::uint64_t bytes_written,
                                             std::chrono::steady_clock::time_point started) {
    const std::uint64_t rate = shared_->opts.compaction_rate_limit;
    if (rate == 0) co_return;
    // Wait until the bytes written so far fit the budget: an intentional throttle.
    const auto due = started + std::chrono::microseconds(bytes_written * 1'000'000 / rate);
    if (due <= std::chrono::steady_clock::now()) co_return;
    asio::steady_timer t(strand_, due);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<error_code> compaction_actor::merge(published_state& state,
                                                    const compaction_plan& plan) {
    const auto& segs = state.stats.segments;
    const std::shared_ptr<const segment_table> table = state.latest->segments;
    const auto started = std::chrono::steady_clock::now();

    // The sources, oldest first, with their slabs.
    std::vector<std::shared_ptr<slab_handle>> sources;
    std::uint64_t first_sequence = ~std::uint64_t{0};
    for (std::size_t i = plan.first; i < plan.first + plan.count; ++i) {
        auto it = table->find(static_cast<std::uint32_t>(segs[i].id));
        if (it == table->end()) co_return make_error_code(errc::corruption);
        sources.push_back(it->second);
        std::array<std::byte, format::slab_header_size> hb{};
        auto r = co_await read_at(it->second->slab(), 0, hb);
        if (r.ec) co_return r.ec;
        auto h = format::decode_slab_header(hb);
        if (!h.status.ok()) co_return make_error_code(errc::corruption);
        first_sequence = std::min(first_sequence, h.header.first_sequence);
    }

    const std::uint64_t id = shared_->next_slab_id.fetch_add(1);
    auto created = shared_->storage->create(id, true);
    if (!created) co_return created.error();
    std::shared_ptr<fugu::slab> out = std::move(*created);
    auto abandon = [&](error_code ec) {
        out.reset();
        shared_->storage->remove(id, true);
        return ec;
    };

    format::slab_header header;
    header.kind = format::slab_kind::merged;
    header.slab_id = id;
    header.min_generation = segs[plan.first].min_generation;
    header.max_generation = segs[plan.first + plan.count - 1].max_generation;
    header.first_sequence = first_sequence;
    std::vector<std::byte> header_bytes(format::slab_header_size);
    format::encode_slab_header(header, std::span<std::byte, format::slab_header_size>(
                                           header_bytes.data(), format::slab_header_size));
    merge_builder builder(static_cast<std::uint32_t>(id), std::move(header_bytes));

    // Which source entries are live: one ordered walk of the version's index lists them
    // per source, by offset, numbered in key order (see live_scan.hpp).
    std::vector<std::uint32_t> source_ids;
    for (const auto& src : sources) source_ids.push_back(static_cast<std::uint32_t>(src->slab().id()));
    live_scan walk(state.latest->index, source_ids);
    while (!walk.step(walk_slice)) {
        co_await asio::post(strand_, asio::use_awaitable);
        if (shared_->closing.load()) co_return abandon(asio::error::operation_aborted);
    }
    builder.expect_moves(walk.count());
    // The walk was the last use of the version's index. Every node the saves copied since
    // it was published is this version's alone, and the longer it is held the more of
    // them there are: let it go now rather than at the end of the merge.
    state.latest.reset();

    std::size_t entries_this_turn = 0;
    for (std::size_t si = 0; si < sources.size(); ++si) {
        fugu::slab& s = sources[si]->slab();
        const auto sid = static_cast<std::uint32_t>(s.id());
        slab_reader reader(s);
        live_scan::cursor live = walk.live_in(si);
        bool missing = false;  // the index points into this source where no put is
        std::uint64_t at = format::slab_header_size;
        while (at < reader.size()) {
            if (shared_->closing.load()) co_return abandon(asio::error::operation_aborted);
            auto hb = co_await reader.get(at, std::min<std::uint64_t>(format::record_header_size,
                                                                      reader.size() - at));
            if (!hb) co_return abandon(hb.error());
            auto h = format::decode_record_header(*hb);
            if (!h.status.ok() || h.header.record_size() > reader.size() - at)
                co_return abandon(make_error_code(errc::corruption));
            if (h.header.type == format::record_type::seal) break;
            if (h.header.type == format::record_type::sync_mark) {  // no entries
                at += h.header.record_size();
                continue;
            }
            const std::uint64_t body_at = at + format::record_header_size;
            auto body = co_await reader.get(body_at, h.header.body_length);
            if (!body) co_return abandon(body.error());
            auto visit = [&](const auto& e) {
                ++entries_this_turn;
                using T = std::decay_t<decltype(e)>;
                if constexpr (std::is_same_v<T, format::put_view>) {
                    const value_ref ref{sid, static_cast<std::uint32_t>(body_at + e.value_offset_in_body),
                                        e.value_length};
                    const char* p = reinterpret_cast<const char*>(body->data()) + e.value_offset_in_body;
                    // Live only if the version we plan from still points exactly here. Entries
                    // come in offset order, as does the walk's list of live ones.
                    if (!live.done() && live.offset() < ref.offset) missing = true;
                    if (!live.done() && live.offset() == ref.offset) {
                        builder.add_put(e.key, std::string_view(p, e.value_length), ref, live.rank());
                        live.advance();
                    }
                } else if (!plan.drop_tombstones) {
                    builder.add_remove(e.key);
                }
            };
            auto st = format::decode_commit_body(h.header, *body, visit);
            if (!st.ok() || missing) co_return abandon(make_error_code(errc::corruption));
            if (auto ec = builder.end_change_set(h.header.sequence)) co_return abandon(ec);
            at += h.header.record_size();
            if (entries_this_turn >= entries_per_turn) {
                entries_this_turn = 0;
                co_await asio::post(strand_, asio::use_awaitable);
                delete_released();
            }
            if (builder.pending_bytes().size() >= write_chunk) {
                if (auto ec = co_await write_at(*out, builder.pending_offset(), builder.pending_bytes(), false))
                    co_return abandon(ec);
                builder.mark_written();
                co_await pace(builder.pending_offset(), started);
            }
        }
        // Every live entry the walk found in this source must have been read.
        if (!live.done()) co_return abandon(make_error_code(errc::corruption));
    }
    if (auto ec = builder.flush()) co_return abandon(ec);

    const std::uint64_t records = builder.records();
    std::vector<std::byte>& buf = builder.pending_bytes();
    std::uint64_t pos = builder.pending_offset();
    format::seal_body seal;
    seal.record_count = records;
    seal.data_end = pos + buf.size();
    seal.min_sequence = records ? builder.min_sequence() : first_sequence;
    seal.max_sequence = records ? builder.max_sequence() : (first_sequence ? first_sequence - 1 : 0);
    format::append_seal_record(buf, seal, 0);
    // One synced write ends the slab: everything before it was written unsynced, and the
    // fdatasync after the seal covers it all.
    if (auto ec = co_await write_at(*out, pos, buf, true)) co_return abandon(ec);
    pos += buf.size();
    if (shared_->closing.load()) co_return abandon(asio::error::operation_aborted);
    // The plan left out entries that later change sets overwrote or removed. Under
    // os_buffered those later change sets may still sit only in the page cache of the
    // output slab; if power were lost after the publish, the merged slab would lack the
    // old values and the log slab the new ones: a hole. So they are made durable first.
    if (shared_->opts.durability == durability::os_buffered) {
        for (const auto& s : segs) {
            if (s.sealed) continue;
            auto it = table->find(static_cast<std::uint32_t>(s.id));
            if (it == table->end()) continue;
            if (auto ec = co_await sync_slab(it->second->slab())) co_return abandon(ec);
        }
    }
    if (auto ec = shared_->storage->publish(id)) co_return abandon(ec);
    out.reset();
    auto reopened = shared_->storage->open(id);
    if (!reopened) {
        // Published but unreadable here: the sources stay in use; the next open sorts it out.
        co_return reopened.error();
    }

    auto& c = shared_->counters;
    c.compactions.fetch_add(1, std::memory_order_relaxed);
    c.bytes_rewritten.fetch_add(pos, std::memory_order_relaxed);
    c.bytes_written.fetch_add(pos, std::memory_order_relaxed);

    compaction_result result;
    result.keys = std::move(builder.moved_keys());
    result.moves = std::move(builder.moves());
    result.output.handle = std::make_shared<slab_handle>(std::move(*reopened));
    result.output.min_generation = header.min_generation;
    result.output.max_generation = header.max_generation;
    result.output.merged = true;
    result.output.sealed = true;
    for (const auto& src : sources) {
        result.sources.push_back(static_cast<std::uint32_t>(src->slab().id()));
        retired_.insert(src->slab().id());
    }
    sources.clear();
    index_message msg(std::move(result));
    co_await index_.async_send(error_code{}, std::move(msg), asio::use_awaitable);
    co_return error_code{};
}

}  // namespace fugu::detail
