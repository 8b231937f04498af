// SPDX-License-Identifier: MIT
#include "glob.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace fugu::server;

TEST_CASE("Glob patterns match as Redis matches them", "[server-resp]") {
    CHECK(glob_match("*", ""));
    CHECK(glob_match("*", "anything"));
    CHECK(glob_match("h?llo", "hello"));
    CHECK_FALSE(glob_match("h?llo", "hllo"));
    CHECK(glob_match("h*llo", "hllo"));
    CHECK(glob_match("h*llo", "heeeello"));
    CHECK(glob_match("h[ae]llo", "hallo"));
    CHECK_FALSE(glob_match("h[ae]llo", "hillo"));
    CHECK(glob_match("h[^e]llo", "hallo"));
    CHECK_FALSE(glob_match("h[^e]llo", "hello"));
    CHECK(glob_match("h[a-b]llo", "hbllo"));
    CHECK(glob_match("h[b-a]llo", "hallo"));  // reversed ranges are swapped
    CHECK_FALSE(glob_match("h[a-b]llo", "hcllo"));
    CHECK(glob_match("h\\*llo", "h*llo"));
    CHECK_FALSE(glob_match("h\\*llo", "hello"));
    CHECK(glob_match("[\\]]", "]"));
    CHECK(glob_match("user:*:name", "user:42:name"));
    CHECK_FALSE(glob_match("user:*:name", "user:42:age"));
    CHECK(glob_match("*a*b*c", "xxaxxbxxc"));
    CHECK_FALSE(glob_match("*a*b*c", "xxaxxcxxb"));
    CHECK(glob_match("a*", "a"));
    CHECK_FALSE(glob_match("a", "ab"));
    CHECK_FALSE(glob_match("ab", "a"));
    CHECK(glob_match(std::string("\xff*", 2), std::string("\xff\x01", 2)));
    CHECK(glob_match("[\x01-\xff]", std::string("\x80", 1)));
}

TEST_CASE("A hostile pattern does not take exponential time", "[server-resp]") {
    const std::string key(5000, 'a');
    std::string pattern;
    for (int i = 0; i < 50; ++i) pattern += "*a";
    pattern += "b";
    CHECK_FALSE(glob_match(pattern, key));
}

TEST_CASE("The literal prefix of a pattern bounds an ordered scan", "[server-resp]") {
    CHECK(glob_literal_prefix("user:*") == "user:");
    CHECK(glob_literal_prefix("abc") == "abc");
    CHECK(glob_literal_prefix("a?c") == "a");
    CHECK(glob_literal_prefix("[ab]c") == "");
    CHECK(glob_literal_prefix("a\\*") == "a");
}
