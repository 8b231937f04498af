// SPDX-License-Identifier: MIT
// change_set: duplicate detection, limits at 0, 1, max and max+1, and that a rejected
// put leaves the change set as it was.
#include "support/error_of.hpp"

#include <fugu/change_set.hpp>
#include <fugu/limits.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <system_error>

using fugu::test::code_of;
using fugu::test::error_of;

TEST_CASE("a key named twice in one change set is a duplicate_key error", "[change_set]") {
    fugu::change_set c;
    c.put("foo", "1");
    CHECK(error_of([&] { c.put("foo", "x"); }) == code_of(fugu::errc::duplicate_key));
    CHECK(error_of([&] { c.remove("foo"); }) == code_of(fugu::errc::duplicate_key));
    CHECK(c.size() == 1);
    CHECK(c.entries()[0].value() == "1");
}

TEST_CASE("duplicates are found in large change sets too", "[change_set]") {
    fugu::change_set c;
    for (int i = 0; i < 1000; ++i) c.put("key" + std::to_string(i), "v");
    CHECK(error_of([&] { c.put("key500", "x"); }) == code_of(fugu::errc::duplicate_key));
    CHECK(error_of([&] { c.remove("key999"); }) == code_of(fugu::errc::duplicate_key));
    c.put(std::string("key5\0", 5), "nul bytes make a different key");
    CHECK(c.size() == 1001);
    // Copies and moves keep working lookups.
    fugu::change_set copy = c;
    CHECK(error_of([&] { copy.put("key1", "x"); }) == code_of(fugu::errc::duplicate_key));
    fugu::change_set moved = std::move(copy);
    CHECK(error_of([&] { moved.put("key2", "x"); }) == code_of(fugu::errc::duplicate_key));
    CHECK(moved.size() == 1001);
    CHECK(moved.entries()[1000].key() == std::string("key5\0", 5));
}

TEST_CASE("key sizes 0, 1 and max are accepted and max+1 is key_too_large", "[change_set][limits]") {
    fugu::change_set c;
    c.put("", "empty key");
    c.put("a", "");
    c.put(std::string(fugu::max_key_size, 'k'), "v");
    CHECK(error_of([&] { c.put(std::string(fugu::max_key_size + 1, 'k'), "v"); }) ==
          code_of(fugu::errc::key_too_large));
    CHECK(error_of([&] { c.remove(std::string(fugu::max_key_size + 1, 'r')); }) ==
          code_of(fugu::errc::key_too_large));
    CHECK(c.size() == 3);
}

TEST_CASE("value size max is accepted and max+1 is value_too_large", "[change_set][limits]") {
    fugu::change_set c;
    std::string big(fugu::max_value_size, 'v');
    c.put("big", big);
    big.push_back('v');
    CHECK(error_of([&] { c.put("bigger", big); }) == code_of(fugu::errc::value_too_large));
    CHECK(c.size() == 1);
    CHECK(c.byte_size() == 3 + fugu::max_value_size + 16);
}

TEST_CASE("a change set over max_change_set_size is change_set_too_large", "[change_set][limits]") {
    fugu::change_set c;
    const std::string value(fugu::max_value_size, 'v');
    std::size_t i = 0;
    std::error_code ec;
    while (!ec) {
        ec = error_of([&] { c.put("k" + std::to_string(i++), value); });
    }
    CHECK(ec == code_of(fugu::errc::change_set_too_large));
    CHECK(c.byte_size() <= fugu::max_change_set_size);
    CHECK(c.size() == i - 1);
}
