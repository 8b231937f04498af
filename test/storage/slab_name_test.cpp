// SPDX-License-Identifier: MIT
// Slab file names: the format and its strict parser.
#include "storage/slab_name.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

using fugu::detail::parse_slab_file_name;
using fugu::detail::slab_file_name;

TEST_CASE("slab names are fixed-width lower-case hex with a .tmp variant", "[storage]") {
    CHECK(slab_file_name(0, false) == "slab-0000000000000000.fugu");
    CHECK(slab_file_name(0xabcdef, false) == "slab-0000000000abcdef.fugu");
    CHECK(slab_file_name(UINT64_MAX, true) == "slab-ffffffffffffffff.fugu.tmp");
}

TEST_CASE("every slab name parses back to its id and kind", "[storage]") {
    for (std::uint64_t id :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0x1234567890abcdef}, UINT64_MAX}) {
        for (bool temporary : {false, true}) {
            const auto parsed = parse_slab_file_name(slab_file_name(id, temporary));
            REQUIRE(parsed);
            CHECK(parsed->id == id);
            CHECK(parsed->temporary == temporary);
        }
    }
}

TEST_CASE("names that are not exactly a slab name are rejected", "[storage]") {
    for (const char* name : {"",
                             "LOCK",
                             "slab-",
                             "slab-.fugu",
                             "slab-1.fugu",
                             "slab-000000000000000.fugu",
                             "slab-00000000000000001.fugu",
                             "slab-000000000000000A.fugu",
                             "slab-000000000000000g.fugu",
                             "Slab-0000000000000001.fugu",
                             "slab-0000000000000001.fug",
                             "slab-0000000000000001.fugu.",
                             "slab-0000000000000001.fugu.tm",
                             "slab-0000000000000001.fugu.tmp.tmp",
                             "slab-0000000000000001.fugu.tmpx",
                             "slab-0000000000000001.tmp",
                             "xslab-0000000000000001.fugu",
                             " slab-0000000000000001.fugu",
                             "slab-+000000000000001.fugu",
                             "slab- 000000000000001.fugu"}) {
        INFO("name: \"" << name << "\"");
        CHECK_FALSE(parse_slab_file_name(name));
    }
    CHECK_FALSE(parse_slab_file_name(std::string("slab-0000000000000001.fugu\0", 27)));
}
