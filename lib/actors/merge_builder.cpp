// SPDX-License-Identifier: MIT
#include "actors/merge_builder.hpp"

#include "format/format.hpp"
#include "format/record.hpp"

namespace fugu::detail {

namespace {
// Body bytes gathered before a record is closed. Large enough that the 40-byte record
// header is noise, small enough that the copy stays in cache.
constexpr std::size_t record_target = std::size_t{64} << 10;
}  // namespace

merge_builder::merge_builder(std::uint32_t output_id, std::vector<std::byte> header)
    : output_id_(output_id), buf_(std::move(header)) {}

void merge_builder::mark_written() noexcept {
    written_ += buf_.size();
    buf_.clear();
}

void merge_builder::expect_moves(std::size_t n) {
    moves_.assign(n, moved_entry{});
    ranked_ = true;
}

void merge_builder::add_put(std::string_view key, std::string_view value, value_ref from,
                            std::uint32_t rank) {
    staged_puts_.push_back({staged_data_.size(), key.size(), staged_data_.size() + key.size(),
                            value.size(), from, rank});
    staged_data_.append(key);
    staged_data_.append(value);
}

void merge_builder::add_remove(std::string_view key) {
    staged_removes_.push_back({staged_data_.size(), key.size()});
    staged_data_.append(key);
}

error_code merge_builder::end_change_set(std::uint64_t sequence) {
    if (staged_puts_.empty() && staged_removes_.empty()) return {};
    bool close = !data_.empty() && data_.size() + staged_data_.size() > record_target;
    // A key removed earlier in the pending record may come back here (a live put after a
    // remove, or a second remove): it must land in a later record. A live put cannot be
    // followed by anything for its key, so puts never collide with each other.
    if (!close && !removed_.empty()) {
        auto staged_key = [&](std::size_t at, std::size_t len) {
            return std::string(staged_data_, at, len);
        };
        for (const auto& p : staged_puts_)
            if (removed_.contains(staged_key(p.key_at, p.key_len))) close = true;
        for (const auto& r : staged_removes_)
            if (removed_.contains(staged_key(r.key_at, r.key_len))) close = true;
    }
    if (close)
        if (auto ec = flush()) return ec;
    const std::size_t base = data_.size();
    data_.append(staged_data_);
    for (auto p : staged_puts_) {
        p.key_at += base;
        p.value_at += base;
        puts_.push_back(p);
    }
    for (auto r : staged_removes_) {
        r.key_at += base;
        removes_.push_back(r);
        removed_.emplace(data_, r.key_at, r.key_len);
    }
    sequence_ = sequence;
    staged_data_.clear();
    staged_puts_.clear();
    staged_removes_.clear();
    return {};
}

error_code merge_builder::flush() {
    if (puts_.empty() && removes_.empty()) return {};
    std::vector<format::put_ref> puts;
    puts.reserve(puts_.size());
    for (const auto& p : puts_)
        puts.push_back({std::string_view(data_).substr(p.key_at, p.key_len),
                        std::string_view(data_).substr(p.value_at, p.value_len)});
    std::vector<std::string_view> removes;
    removes.reserve(removes_.size());
    for (const auto& r : removes_) removes.push_back(std::string_view(data_).substr(r.key_at, r.key_len));

    const std::uint64_t record_at = written_ + buf_.size();
    std::vector<std::uint32_t> offsets(puts.size(), 0);
    auto appended = format::append_commit_record(buf_, puts, removes, sequence_, 0, offsets);
    if (!appended) return appended.error();
    for (std::size_t i = 0; i < puts.size(); ++i) {
        moved_entry m;
        m.key_offset = static_cast<std::uint32_t>(keys_.size());
        m.key_length = static_cast<std::uint32_t>(puts[i].key.size());
        keys_.append(puts[i].key);
        m.from = puts_[i].from;
        m.to = value_ref{output_id_, static_cast<std::uint32_t>(record_at + offsets[i]),
                         puts_[i].from.length};
        if (ranked_)
            moves_[puts_[i].rank] = m;
        else
            moves_.push_back(m);
    }
    if (!records_) min_seq_ = sequence_;
    max_seq_ = sequence_;
    ++records_;
    data_.clear();
    puts_.clear();
    removes_.clear();
    removed_.clear();
    return {};
}

}  // namespace fugu::detail
