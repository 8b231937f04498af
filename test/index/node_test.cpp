// SPDX-License-Identifier: MIT
// One index node on its own: the slotted page keeps keys and payloads through inserts,
// erases, key replacements and the compactions they trigger; separators are as short as
// they can be; searches land where std::lower_bound does.
#include "index/node.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

using fugu::detail::node;
using fugu::detail::value_ref;

namespace {

// Frees a node and, for the inner nodes these tests build, the children it points at.
struct node_deleter {
    void operator()(node* n) const noexcept {
        if (!n->is_leaf())
            for (std::size_t i = 0; i < n->count(); ++i) (*this)(n->child(i));
        free_node(n);
    }
};
using node_ptr = std::unique_ptr<node, node_deleter>;

}  // namespace

TEST_CASE("the shortest separator lies between its two keys", "[index]") {
    using fugu::detail::shortest_separator;
    CHECK(shortest_separator("abc", "abd") == "abd");
    CHECK(shortest_separator("abc", "b") == "b");
    CHECK(shortest_separator("ab", "abzzz") == "abz");
    CHECK(shortest_separator("", std::string_view("\0x", 2)) == std::string_view("\0", 1));
    CHECK(shortest_separator(std::string_view("a\0", 2), std::string_view("a\0\0", 3)) ==
          std::string_view("a\0\0", 3));
    CHECK(shortest_separator("\x7f", "\x80") == "\x80");  // bytes compare unsigned
}

TEST_CASE("key heads never order two keys against their bytes", "[index]") {
    using fugu::detail::key_head;
    std::mt19937_64 rng(9);
    for (int i = 0; i < 100'000; ++i) {
        std::string a(rng() % 7, '\0'), b(rng() % 7, '\0');
        for (char& c : a) c = static_cast<char>(rng() % 3 == 0 ? 0 : 0xff - rng() % 2);
        for (char& c : b) c = static_cast<char>(rng() % 3 == 0 ? 0 : 0xff - rng() % 2);
        if (key_head(a) < key_head(b) && !(a < b)) FAIL(i);
        if (key_head(b) < key_head(a) && !(b < a)) FAIL(i);
    }
    CHECK(key_head("") == 0);
    CHECK(key_head("\xff") == 0xff000000u);
    CHECK(key_head("abcdef") == key_head("abcd"));
}

TEST_CASE("a node keeps its entries through edits and compactions", "[index]") {
    std::mt19937_64 rng(3);
    node_ptr n(node::make(0, 1));
    std::vector<std::pair<std::string, value_ref>> model;
    for (int step = 0; step < 20'000; ++step) {
        const unsigned op = static_cast<unsigned>(rng() % 3);
        if (op == 0 || model.empty()) {
            std::string k(rng() % 200, '\0');
            for (char& c : k) c = static_cast<char>(rng() % 3);
            const std::size_t pos = n->lower_bound(k);
            REQUIRE(pos == static_cast<std::size_t>(
                               std::lower_bound(model.begin(), model.end(), k,
                                                [](const auto& e, const std::string& key) { return e.first < key; }) -
                               model.begin()));
            if (pos < model.size() && model[pos].first == k) continue;
            if (n->free_bytes() < fugu::detail::entry_bytes(k.size())) continue;
            const value_ref v{static_cast<std::uint32_t>(step), 1, 2};
            n->insert(pos, k, fugu::detail::leaf_payload(v));
            model.insert(model.begin() + static_cast<std::ptrdiff_t>(pos), {k, v});
        } else if (op == 1) {
            const std::size_t pos = rng() % model.size();
            n->erase(pos);
            model.erase(model.begin() + static_cast<std::ptrdiff_t>(pos));
        } else {
            // Same key, fresh bytes: exercises dead space and compaction.
            const std::size_t pos = rng() % model.size();
            const std::string copy = model[pos].first;
            if (n->free_bytes() < copy.size()) continue;
            n->set_key(pos, copy);
            n->set_value(pos, {7, 7, static_cast<std::uint32_t>(step)});
            model[pos].second = {7, 7, static_cast<std::uint32_t>(step)};
        }
        REQUIRE(n->count() == model.size());
        if (step % 97 == 0) {
            std::size_t key_bytes = 0;
            for (std::size_t i = 0; i < model.size(); ++i) {
                REQUIRE(n->key(i) == model[i].first);
                REQUIRE(n->value(i) == model[i].second);
                key_bytes += model[i].first.size();
            }
            REQUIRE(n->used_bytes() ==
                    fugu::detail::node_header_size + model.size() * sizeof(fugu::detail::node_slot) + key_bytes);
        }
    }
}

TEST_CASE("an inner node routes each key to the child whose range holds it", "[index]") {
    node_ptr leaves[3] = {node_ptr(node::make(0, 1)), node_ptr(node::make(0, 1)), node_ptr(node::make(0, 1))};
    node_ptr inner(node::make(1, 1));
    inner->append({}, fugu::detail::inner_payload(leaves[0].release()));
    inner->append("g", fugu::detail::inner_payload(leaves[1].release()));
    inner->append("p", fugu::detail::inner_payload(leaves[2].release()));
    CHECK(inner->route("") == 0);
    CHECK(inner->route("a") == 0);
    CHECK(inner->route("fzzz") == 0);
    CHECK(inner->route("g") == 1);
    CHECK(inner->route(std::string_view("g\0", 2)) == 1);
    CHECK(inner->route("p") == 2);
    CHECK(inner->route("\xff") == 2);
}

TEST_CASE("a copied node shares its children and carries the copier's epoch", "[index]") {
    const std::size_t before = fugu::detail::live_nodes();
    {
        node_ptr inner(node::make(1, 1));
        inner->append({}, fugu::detail::inner_payload(node::make(0, 1)));
        inner->append("m", fugu::detail::inner_payload(node::make(0, 1)));
        node* copy = inner->clone(2);
        CHECK(copy->epoch() == 2);
        CHECK(inner->epoch() == 1);
        CHECK(copy->child(0) == inner->child(0));
        CHECK(copy->child(1) == inner->child(1));
        CHECK(copy->key(1) == "m");
        CHECK(fugu::detail::live_nodes() == before + 4);
        free_node(copy);  // the copy alone: the children are still the original's
        CHECK(fugu::detail::live_nodes() == before + 3);
        CHECK(inner->child(1)->count() == 0);
    }
    CHECK(fugu::detail::live_nodes() == before);
}

TEST_CASE("a leaf orders keys that share their head, shorter keys and the empty key", "[index]") {
    // Keys whose first four bytes (zero-padded) are equal need the bytes past the head,
    // and keys shorter than four bytes differ from zero-padded longer ones only by length.
    std::vector<std::string> keys = {"",
                                     std::string("\0", 1),
                                     std::string("\0\0\0\0", 4),
                                     std::string("\0\0\0\0\0", 5),
                                     "a",
                                     std::string("a\0", 2),
                                     "ab",
                                     std::string("ab\0", 3),
                                     std::string("ab\0\0", 4),
                                     std::string("ab\0\0\0", 5),
                                     std::string("ab\0\x01", 4),
                                     "abc",
                                     "abcd",
                                     std::string("abcd\0", 5),
                                     "abcda",
                                     "abcdb",
                                     "abcdbzzzzzzz",
                                     "abce",
                                     "\x7f\xff\xff\xff",
                                     "\x80",
                                     "\xff\xff\xff\xff",
                                     "\xff\xff\xff\xff\xff"};
    std::vector<std::string> shuffled = keys;
    std::mt19937_64 rng(11);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    node_ptr n(node::make(0, 1));
    for (std::size_t i = 0; i < shuffled.size(); ++i) {
        REQUIRE_FALSE(n->holds(n->lower_bound(shuffled[i]), shuffled[i]));
        n->insert(n->lower_bound(shuffled[i]), shuffled[i],
                  fugu::detail::leaf_payload({static_cast<std::uint32_t>(i), 0, 0}));
    }
    std::sort(keys.begin(), keys.end());
    REQUIRE(n->count() == keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        CHECK(n->key(i) == keys[i]);
        CHECK(n->lower_bound(keys[i]) == i);
        CHECK(n->holds(i, keys[i]));
        if (i > 0) CHECK_FALSE(n->holds(i - 1, keys[i]));
    }
    CHECK_FALSE(n->holds(keys.size(), "abc"));
    // Absent probes land where std::lower_bound puts them.
    for (const std::string& probe : {std::string("ab\0\0\0\0", 6), std::string("abcc"), std::string("abcdaa"),
                                     std::string("\0\0\0", 3), std::string("\xff\xff\xff\xff\xff\xff"),
                                     std::string("b")}) {
        const auto expect = std::lower_bound(keys.begin(), keys.end(), probe) - keys.begin();
        CHECK(n->lower_bound(probe) == static_cast<std::size_t>(expect));
        CHECK_FALSE(n->holds(n->lower_bound(probe), probe));
    }
}

TEST_CASE("searches with key heads agree with byte order on short keys", "[index]") {
    // Few distinct bytes and lengths around four: most keys share heads with others.
    std::mt19937_64 rng(12);
    node_ptr n(node::make(0, 1));
    std::vector<std::string> model;
    auto random_key = [&] {
        std::string k(rng() % 8, '\0');
        for (char& c : k) c = static_cast<char>(rng() % 4 == 0 ? 0xff : rng() % 2);
        return k;
    };
    for (int step = 0; step < 5000; ++step) {
        const std::string k = random_key();
        const std::size_t pos = n->lower_bound(k);
        const auto expect = std::lower_bound(model.begin(), model.end(), k) - model.begin();
        REQUIRE(pos == static_cast<std::size_t>(expect));
        const bool present = pos < model.size() && model[pos] == k;
        REQUIRE(n->holds(pos, k) == present);
        if (present) {
            if (rng() % 2) {
                n->erase(pos);
                model.erase(model.begin() + expect);
            }
        } else if (n->free_bytes() >= fugu::detail::entry_bytes(k.size())) {
            n->insert(pos, k, fugu::detail::leaf_payload({1, 2, 3}));
            model.insert(model.begin() + expect, k);
        }
    }
    REQUIRE(n->count() == model.size());
}
