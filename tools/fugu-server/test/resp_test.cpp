// SPDX-License-Identifier: MIT
#include "resp.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace fugu::server;

namespace {
std::vector<std::string> strings(const std::vector<std::string_view>& v) {
    return {v.begin(), v.end()};
}
}  // namespace

TEST_CASE("RESP arrays of bulk strings parse, and every prefix is incomplete", "[server-resp]") {
    const std::string value("a\r\nb\0\0", 6);  // CR LF and NUL bytes inside
    std::string fixed = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\n" + value + "\r\n";
    resp_limits limits;
    std::vector<std::string_view> args;
    for (std::size_t n = 0; n < fixed.size(); ++n) {
        auto r = parse_request(std::string_view(fixed).substr(0, n), limits, args);
        INFO("prefix of " << n << " bytes");
        REQUIRE(r.status == parse_status::incomplete);
        REQUIRE(r.consumed == 0);
    }
    const std::string more = fixed + "*1\r\n";  // the views point into it
    auto r = parse_request(more, limits, args);
    REQUIRE(r.status == parse_status::complete);
    REQUIRE(r.consumed == fixed.size());
    REQUIRE(strings(args) == std::vector<std::string>{"SET", "k", value});
}

TEST_CASE("An incomplete bulk string says how many bytes the request needs", "[server-resp]") {
    resp_limits limits;
    std::vector<std::string_view> args;
    auto r = parse_request("*2\r\n$3\r\nGET\r\n$10\r\nab", limits, args);
    REQUIRE(r.status == parse_status::incomplete);
    REQUIRE(r.needed == std::string("*2\r\n$3\r\nGET\r\n$10\r\n").size() + 12);
}

TEST_CASE("Inline commands split on spaces; empty lines are skipped", "[server-resp]") {
    resp_limits limits;
    std::vector<std::string_view> args;
    auto r = parse_request("  PING   hello\r\nrest", limits, args);
    REQUIRE(r.status == parse_status::complete);
    REQUIRE(r.consumed == 16);
    REQUIRE(strings(args) == std::vector<std::string>{"PING", "hello"});
    r = parse_request("\r\nPING\n", limits, args);
    REQUIRE(r.status == parse_status::empty_line);
    REQUIRE(r.consumed == 2);
    r = parse_request("PING", limits, args);
    REQUIRE(r.status == parse_status::incomplete);
    r = parse_request("*0\r\n", limits, args);
    REQUIRE(r.status == parse_status::empty_line);
}

TEST_CASE("Malformed requests are errors", "[server-resp]") {
    resp_limits limits;
    limits.max_bulk = 100;
    limits.max_args = 10;
    limits.max_inline = 32;
    std::vector<std::string_view> args;
    const char* bad[] = {
        "*x\r\n",                        // not a number
        "*-2\r\n",                       // negative count
        "*11\r\n",                       // too many arguments
        "*1\r\n:1\r\n",                  // not a bulk string
        "*1\r\n$-1\r\n",                 // null bulk in a request
        "*1\r\n$101\r\n",                // bulk over the limit
        "*1\r\n$3\r\nabcXY",             // no CRLF after the bulk
        "*1\r\n$3x\r\n",                 // junk after the length
        "*1\r\n$\r\n",                   // empty length
        "*99999999999999999999999\r\n",  // overflow
        "*1\r\n$3\rX",                   // CR without LF
    };
    for (const char* in : bad) {
        INFO(in);
        auto r = parse_request(in, limits, args);
        CHECK(r.status == parse_status::error);
        CHECK_FALSE(r.error.empty());
    }
    // An inline line past the limit, with or without its end.
    CHECK(parse_request(std::string(40, 'a'), limits, args).status == parse_status::error);
    CHECK(parse_request(std::string(40, 'a') + "\n", limits, args).status == parse_status::error);
    // A whole request past max_request.
    limits.max_request = 50;
    CHECK(parse_request("*2\r\n$40\r\n" + std::string(40, 'a') + "\r\n$20\r\n", limits, args).status ==
          parse_status::error);
}

TEST_CASE("Reply writers produce RESP2", "[server-resp]") {
    std::string out;
    write_simple(out, "OK");
    write_error(out, "ERR bad\r\nthing");
    write_integer(out, -42);
    write_bulk(out, std::string("a\0b", 3));
    write_null(out);
    write_array_header(out, 2);
    write_null_array(out);
    const char expected[] = "+OK\r\n-ERR bad  thing\r\n:-42\r\n$3\r\na\0b\r\n$-1\r\n*2\r\n*-1\r\n";
    REQUIRE(out == std::string(expected, sizeof expected - 1));
}
