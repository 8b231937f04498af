// SPDX-License-Identifier: MIT
// Restructures the children of one inner node that the index_builder owns: splits a child
// that has run out of room, moves entries between adjacent siblings, merges underfull
// ones. Each operation builds the replacement nodes first and touches the parent only if
// the parent has room for the new separators, so it happens whole or not at all.
// Replaced children go to tree_nodes::replaced, which frees them unless a published
// version can still reach them. Owned by one index_builder; the vectors are scratch space kept between calls
// so that restructuring allocates nothing but nodes.
#pragma once

#include "index/node.hpp"
#include "index/node_epochs.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace fugu::detail {

class rebalancer {
public:
    // Leaf child i of `parent` lacks room for (key, v), which sorts at slot `pos` of it.
    // Inserts the entry by splitting the leaf (unevenly at either end, as sequential loads
    // insert there), by moving entries to one or both siblings, or by splitting the leaf
    // and its full siblings into one node more. Returns false, changing nothing, if `parent` lacks room for the
    // separators this needs. New nodes come from, and replaced ones go to, `nodes`.
    bool insert_overflow(node& parent,
                         std::size_t i,
                         std::size_t pos,
                         std::string_view key,
                         value_ref v,
                         tree_nodes& nodes);

    // Splits inner child i of `parent` in two: one child off the end `key` routes to if that
    // is the first or last child, halves by bytes otherwise. Returns false, changing
    // nothing, if `parent` lacks room for the new separator.
    bool split_inner(node& parent, std::size_t i, std::string_view key, tree_nodes& nodes);

    // After a removal below child i of `parent`: drops the child if it is empty; merges it
    // with a sibling, or refills it from one, if it is less than a quarter full. Best
    // effort: where the parent lacks room for a longer separator the child stays as it is.
    void after_remove(node& parent, std::size_t i, tree_nodes& nodes);

private:
    struct entry {
        std::string_view key;
        slot_payload payload;
    };

    // Reads the entries of children [first, first + n) of `parent` into entries_. For inner
    // children (n <= 2 then) the parent's separator becomes the key of the second child's
    // slot 0.
    void gather(const node& parent, std::size_t first, std::size_t n);
    void add_entry(std::size_t at, std::string_view key, value_ref v);
    std::size_t gathered_bytes(std::size_t from, std::size_t to) const noexcept {
        return bytes_[to] - bytes_[from];
    }
    std::size_t gathered_bytes_total() const noexcept;
    // Splits entries_ into `parts` runs that each fit a node of `level`, as even in bytes
    // as possible, into cuts_. False if they do not fit in that many nodes.
    bool cut(std::size_t parts, unsigned level);
    // Replaces children [first, first + old_n) of `parent` (old_n <= 3) with `parts` new
    // nodes of `level` built from the runs of entries_ that cut() chose.
    bool replace(node& parent,
                 std::size_t first,
                 std::size_t old_n,
                 unsigned level,
                 std::size_t parts,
                 tree_nodes& nodes);
    // Inserts a new leaf holding only (key, v) next to leaf child i, leaving i as it is.
    bool split_off(node& parent,
                   std::size_t i,
                   bool after,
                   std::string_view key,
                   value_ref v,
                   tree_nodes& nodes);

    std::vector<entry> entries_;
    std::vector<std::uint32_t> bytes_;  // bytes_[k]: bytes of entries_[0, k)
    std::vector<std::uint32_t> parts_;  // parts_[k]: fewest nodes that hold entries_[k, end)
    static constexpr std::size_t max_runs = 4;
    std::array<std::size_t, max_runs + 1> cuts_{};  // run j is entries_[cuts_[j], cuts_[j + 1])
    std::array<char, max_key_size> separator_{};  // the parent's separator, while gathered
};

}  // namespace fugu::detail
