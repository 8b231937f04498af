// SPDX-License-Identifier: MIT
// The bytes of a merged slab, built without I/O. Compaction feeds it the live entries of
// its sources in sequence order; it packs the survivors of consecutive change sets into
// shared commit records (a merged slab is only ever published whole, so the per-change-set
// framing of a log slab protects nothing there) and remembers where each value went.
#pragma once

#include "actors/messages.hpp"
#include "fugu/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace fugu::detail {

class merge_builder {
public:
    // Starts the output with its already encoded slab header.
    merge_builder(std::uint32_t output_id, std::vector<std::byte> header);

    // Moves are listed in the order puts are added, unless this is called first: then
    // each put names its place (a rank below n) and moves() has exactly n slots.
    void expect_moves(std::size_t n);

    // A put whose value is the newest version of `key` (it lived at `from`), or a
    // tombstone, of the source commit record being read.
    void add_put(std::string_view key, std::string_view value, value_ref from,
                 std::uint32_t rank = 0);
    void add_remove(std::string_view key);
    // Ends that source record, whose sequence is `sequence` (calls come in sequence order).
    // Its entries stay together in one output record, so every output record has a
    // sequence of its own.
    error_code end_change_set(std::uint64_t sequence);
    // Ends the pending output record, if any.
    error_code flush();

    // Encoded bytes not handed to the slab yet, and the output offset of their first byte.
    std::vector<std::byte>& pending_bytes() noexcept { return buf_; }
    std::uint64_t pending_offset() const noexcept { return written_; }
    // The caller wrote pending_bytes() at pending_offset().
    void mark_written() noexcept;

    std::uint64_t records() const noexcept { return records_; }
    std::uint64_t min_sequence() const noexcept { return min_seq_; }
    std::uint64_t max_sequence() const noexcept { return max_seq_; }
    // Moved keys and their old and new places, for the index.
    std::string& moved_keys() noexcept { return keys_; }
    std::vector<moved_entry>& moves() noexcept { return moves_; }

private:
    struct pending_put {
        std::size_t key_at, key_len, value_at, value_len;
        value_ref from;
        std::uint32_t rank;
    };
    struct pending_remove {
        std::size_t key_at, key_len;
    };

    std::uint32_t output_id_;
    std::vector<std::byte> buf_;
    std::uint64_t written_ = 0;
    std::uint64_t records_ = 0, min_seq_ = 0, max_seq_ = 0;
    std::string keys_;
    std::vector<moved_entry> moves_;
    bool ranked_ = false;

    // The record being gathered: its key and value bytes, entries and sequence.
    std::string data_;
    std::vector<pending_put> puts_;
    std::vector<pending_remove> removes_;
    // The source record being read, staged until it ends.
    std::string staged_data_;
    std::vector<pending_put> staged_puts_;
    std::vector<pending_remove> staged_removes_;
    // Keys removed in it: a key may appear once per record, and a remove followed by a
    // put of the same key must stay in that order (a record applies puts first).
    std::unordered_set<std::string> removed_;
    std::uint64_t sequence_ = 0;
};

}  // namespace fugu::detail
