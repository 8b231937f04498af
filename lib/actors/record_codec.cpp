// SPDX-License-Identifier: MIT
#include "actors/record_codec.hpp"

#include "format/record.hpp"
#include "format/slab_header.hpp"

#include <stdexcept>

namespace fugu::detail {

void encode_commit(std::vector<std::byte>& out,
                   const change_set& changes,
                   std::uint64_t sequence,
                   std::uint64_t synced_upto,
                   std::vector<std::uint32_t>& value_offsets) {
    // Reused per thread: the writer encodes every save of a group through here.
    thread_local std::vector<format::put_ref> puts;
    thread_local std::vector<std::string_view> removes;
    puts.clear();
    removes.clear();
    for (const auto& e : changes.entries()) {
        if (e.is_remove())
            removes.push_back(e.key());
        else
            puts.push_back({e.key(), e.value()});
    }
    const std::size_t first = value_offsets.size();
    value_offsets.resize(first + puts.size());
    auto r = format::append_commit_record(out, puts, removes, sequence, synced_upto,
                                          std::span(value_offsets).subspan(first));
    // change_set enforced the limits on every put and remove, so this cannot fail.
    if (!r) throw std::logic_error("change set outside the record limits");
}

void encode_seal(std::vector<std::byte>& out,
                 std::uint64_t record_count,
                 std::uint64_t data_end,
                 std::uint64_t min_sequence,
                 std::uint64_t max_sequence,
                 std::uint64_t synced_upto) {
    format::seal_body seal;
    seal.record_count = record_count;
    seal.data_end = data_end;
    seal.min_sequence = min_sequence;
    seal.max_sequence = max_sequence;
    format::append_seal_record(out, seal, synced_upto);
}

std::array<std::byte, 64> log_slab_header(std::uint64_t id, std::uint64_t first_sequence) {
    format::slab_header h;
    h.kind = format::slab_kind::log;
    h.slab_id = id;
    h.min_generation = h.max_generation = id;
    h.first_sequence = first_sequence;
    std::array<std::byte, 64> bytes{};
    format::encode_slab_header(h, std::span<std::byte, 64>(bytes));
    return bytes;
}

}  // namespace fugu::detail
