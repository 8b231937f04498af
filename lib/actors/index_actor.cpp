// SPDX-License-Identifier: MIT
#include "actors/index_actor.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace fugu::detail {

namespace asio = boost::asio;

namespace {

std::shared_ptr<const segment_table> build_table(
    const std::map<std::uint32_t, segment_info>& segments) {
    auto t = std::make_shared<segment_table>();
    t->reserve(segments.size());
    for (const auto& [id, info] : segments) t->emplace(id, info.handle);
    return t;
}

// Changes applied between unprompted publishes.
constexpr std::size_t publish_interval = 32;

// Moves of a merge applied per turn: one to two milliseconds of index edits, so a save
// that arrives meanwhile waits at most that long, while a merge of 100,000 entries takes
// a few dozen turns rather than a hundred (its sources stay on disk until the last one).
constexpr std::size_t merge_slice = 4096;

// How many keys ahead of the one being applied the index prefetches leaves.
constexpr std::size_t prefetch_distance = 4;

// Before applying change i of [first, end), whose keys key_at gives: prefetches the leaf
// of change i + prefetch_distance, and on the first change those before it too.
template <class KeyAt>
void prefetch_ahead(const index_builder& b, std::size_t i, std::size_t first, std::size_t end,
                    KeyAt key_at) {
    if (i == first)
        for (std::size_t k = first; k < std::min(end, first + prefetch_distance); ++k) b.prefetch(key_at(k));
    if (i + prefetch_distance < end) b.prefetch(key_at(i + prefetch_distance));
}

}  // namespace

index_actor::index_actor(asio::any_io_executor ex,
                         std::shared_ptr<store_shared> shared,
                         index_state start,
                         inbox_channel<snapshot_message>& snapshots)
    : strand_(asio::make_strand(ex)),
      shared_(std::move(shared)),
      builder_(std::move(start.builder)),
      current_(builder_.publish()),
      segments_(std::move(start.segments)),
      table_(build_table(segments_)),
      sequence_(start.sequence),
      inbox_(strand_, 64),
      snapshots_(snapshots) {
    for (const auto& [id, info] : segments_) live_bytes_ += info.live_bytes;
    shared_->counters.live_bytes.store(live_bytes_, std::memory_order_relaxed);
    shared_->applied_sequence.store(sequence_, std::memory_order_release);
    publish_stats(true);
}

std::shared_ptr<const version> index_actor::make_version() const {
    auto v = std::make_shared<version>();
    v->sequence = sequence_;
    v->index = current_;
    v->segments = table_;
    return v;
}

void index_actor::apply(apply_request& req, std::vector<save_ptr>& done) {
    if (!req.opened.empty() || !req.sealed.empty()) {
        for (auto& info : req.opened) {
            const auto id = static_cast<std::uint32_t>(info.handle->slab().id());
            segments_[id] = std::move(info);
        }
        for (auto id : req.sealed)
            if (auto it = segments_.find(static_cast<std::uint32_t>(id)); it != segments_.end())
                it->second.sealed = true;
        table_ = build_table(segments_);
        structural_ = true;
    }

    auto unaccount = [&](std::string_view key, const value_ref& old) {
        auto it = segments_.find(old.slab);
        const std::uint64_t n = key.size() + old.length;
        if (it != segments_.end()) {
            it->second.live_bytes -= n;
            it->second.live_entries -= 1;
        }
        live_bytes_ -= n;
    };
    std::size_t next_ref = 0;
    std::uint64_t saved = 0;
    keys_.clear();
    for (const auto& save : req.saves)
        for (const auto& e : save->changes.entries()) keys_.push_back(e.key());
    auto key_at = [&](std::size_t k) { return keys_[k]; };
    std::size_t at = 0;
    for (auto& save : req.saves) {
        for (const auto& e : save->changes.entries()) {
            prefetch_ahead(builder_, at++, 0, keys_.size(), key_at);
            if (e.is_remove()) {
                if (auto old = builder_.remove(e.key())) unaccount(e.key(), *old);
                saved += e.key().size();
                continue;
            }
            const value_ref ref = req.refs[next_ref++];
            if (auto old = builder_.put(e.key(), ref)) unaccount(e.key(), *old);
            const std::uint64_t n = e.key().size() + ref.length;
            auto& seg = segments_[ref.slab];
            seg.live_bytes += n;
            seg.live_entries += 1;
            live_bytes_ += n;
            saved += n;
        }
        sequence_ = std::max(sequence_, save->sequence);
        done.push_back(std::move(save));
    }
    auto& c = shared_->counters;
    c.bytes_saved.fetch_add(saved, std::memory_order_relaxed);
    c.saves.fetch_add(req.saves.size(), std::memory_order_relaxed);
    c.live_bytes.store(live_bytes_, std::memory_order_relaxed);
    shared_->applied_sequence.store(sequence_, std::memory_order_release);
}

void index_actor::begin_merge() {
    auto& res = merges_.front();
    merge_output_ = static_cast<std::uint32_t>(res.output.handle->slab().id());
    segments_[merge_output_] = std::move(res.output);
    res.output = segment_info{};
    // Versions published before the moves are done may already point into the output.
    table_ = build_table(segments_);
    merge_begun_ = true;
    merged_moves_ = 0;
}

void index_actor::apply_merge_slice() {
    if (!merge_begun_) begin_merge();
    auto& res = merges_.front();
    auto& out = segments_[merge_output_];
    const std::size_t end = std::min(res.moves.size(), merged_moves_ + merge_slice);
    auto key_of = [&](std::size_t i) {
        const auto& m = res.moves[i];
        return std::string_view(res.keys.data() + m.key_offset, m.key_length);
    };
    for (const std::size_t first = merged_moves_; merged_moves_ < end; ++merged_moves_) {
        const auto& m = res.moves[merged_moves_];
        prefetch_ahead(builder_, merged_moves_, first, end, key_of);
        const std::string_view key = key_of(merged_moves_);
        // Only where the entry did not change since compaction read it; otherwise the
        // copy is already stale.
        if (builder_.replace_if(key, m.from, m.to)) {
            const std::uint64_t n = key.size() + m.from.length;
            if (auto it = segments_.find(m.from.slab); it != segments_.end()) {
                it->second.live_bytes -= n;
                it->second.live_entries -= 1;
            }
            out.live_bytes += n;
            out.live_entries += 1;
        }
    }
    if (merged_moves_ == res.moves.size()) end_merge();
}

void index_actor::end_merge() {
    for (auto id : merges_.front().sources) {
        auto it = segments_.find(id);
        if (it == segments_.end()) continue;
        // Every entry that pointed into a source moved or was overwritten meanwhile, so
        // the newest version no longer reads it; older versions may, until released.
        it->second.handle->retire(shared_->on_slab_released);
        segments_.erase(it);
    }
    merges_.pop_front();
    merge_begun_ = false;
    merged_moves_ = 0;
    table_ = build_table(segments_);
    structural_ = true;
}

void index_actor::publish_stats(bool version) const {
    store_stats s;
    s.keys = builder_.size();
    s.last_sequence = sequence_;
    s.live_bytes = live_bytes_;
    std::uint64_t sealed = 0;
    for (const auto& [id, info] : segments_) {
        segment_stats seg;
        seg.id = id;
        seg.min_generation = info.min_generation;
        seg.max_generation = info.max_generation;
        seg.size_bytes = info.handle->slab().size();
        seg.live_bytes = info.live_bytes;
        seg.live_entries = info.live_entries;
        seg.stale_bytes = seg.size_bytes > seg.live_bytes ? seg.size_bytes - seg.live_bytes : 0;
        seg.merged = info.merged;
        seg.sealed = info.sealed;
        s.disk_bytes += seg.size_bytes;
        if (seg.sealed) sealed += seg.size_bytes;
        s.segments.push_back(seg);
    }
    std::sort(s.segments.begin(), s.segments.end(),
              [](const segment_stats& a, const segment_stats& b) {
                  return a.min_generation < b.min_generation;
              });
    shared_->counters.sealed_bytes.store(sealed, std::memory_order_relaxed);
    s.stale_bytes = s.disk_bytes > s.live_bytes ? s.disk_bytes - s.live_bytes : 0;
    s.index_bytes = builder_.memory_bytes();
    if (version && merges_.empty())
        shared_->set_published(published_state{make_version(), std::move(s)});
    else
        shared_->set_index_stats(std::move(s));
}

asio::awaitable<void> index_actor::run() {
    for (;;) {
        std::vector<save_ptr> done;
        bool changed = false;
        auto take = [&](index_message& m) {
            if (auto* a = std::get_if<apply_request>(&m)) {
                apply(*a, done);
                changed = true;
            } else if (auto* c = std::get_if<compaction_result>(&m)) {
                merges_.push_back(std::move(*c));
                changed = true;
            } else if (std::holds_alternative<publish_demand>(m)) {
                // Read below, from the flag: a demand that found this inbox full set it too.
            } else if (std::holds_alternative<compaction_stopped>(m)) {
                compaction_stopped_ = true;
            } else {
                stop_ = std::get<stop_request>(std::move(m));
            }
        };
        if (!merges_.empty()) {
            // Let the other actors run between slices.
            co_await asio::post(strand_, asio::use_awaitable);
        } else {
            auto [ec, first] = co_await inbox_.async_receive(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            take(first);
        }
        // Apply everything already waiting, then publish once.
        while (inbox_.try_receive([&](error_code, index_message m) { take(m); })) {
        }
        if (!merges_.empty()) {
            apply_merge_slice();
            changed = true;
        }
        // Visible to every snapshot asked for from now on (applied_sequence is raised):
        // the saves may complete.
        for (auto& s : done) {
            const auto seq = s->sequence;
            std::move(s->completion).complete(error_code{}, seq);
        }
        if (changed) ++unpublished_;
        // Publishing makes the next change copy every node it touches (the published
        // version shares them), which is most of the index's cost under a stream of small
        // saves. So a version is published only when a snapshot waits for one, when slabs
        // came or went, before a close, and every publish_interval changes (compaction
        // plans from published versions); saves complete as soon as they are applied.
        const bool wanted = shared_->publish_wanted.exchange(false, std::memory_order_acq_rel);
        const bool publish = unpublished_ > 0 && (wanted || structural_ || stop_ ||
                                                   unpublished_ >= publish_interval);
        if (publish) {
            current_ = builder_.publish();
            publish_stats(true);
            unpublished_ = 0;
            structural_ = false;
            snapshot_message msg(publish_request{make_version()});
            if (!snapshots_.try_send(error_code{}, std::move(msg)))
                co_await snapshots_.async_send(error_code{}, std::move(msg), asio::use_awaitable);
            if (compaction_ && !stop_ && merges_.empty())
                compaction_->try_send(error_code{}, compaction_message(compaction_poke{}));
        } else if (changed) {
            publish_stats(false);
        }
        if (stop_ && !stop_sent_to_compaction_ && compaction_) {
            // Compaction may still hand over a merge; keep applying until it says it stopped.
            stop_sent_to_compaction_ = true;
            compaction_message m(stop_request{});
            co_await compaction_->async_send(error_code{}, std::move(m), asio::use_awaitable);
        }
        if (stop_ && merges_.empty() && unpublished_ == 0 && (compaction_stopped_ || !compaction_)) {
            snapshot_message msg(std::move(*stop_));
            co_await snapshots_.async_send(error_code{}, std::move(msg), asio::use_awaitable);
            co_return;
        }
    }
}

}  // namespace fugu::detail
