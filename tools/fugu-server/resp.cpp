// SPDX-License-Identifier: MIT
#include "resp.hpp"

#include <charconv>

namespace fugu::server {

namespace {

// Reads "<digits>\r\n" at in[pos...] after a type byte. Returns false when the line is
// incomplete (pos unchanged); sets `bad` when it is complete but not a number.
bool read_length(std::string_view in, std::size_t& pos, std::int64_t& value, bool& bad,
                 std::size_t max_line) {
    const std::size_t start = pos;
    const std::size_t cr = in.find('\r', start);
    if (cr == std::string_view::npos) {
        if (in.size() - start > max_line) bad = true;
        return false;
    }
    if (cr + 1 >= in.size()) return false;  // wait for the LF
    if (in[cr + 1] != '\n' || cr == start || cr - start > 20) {
        bad = true;
        return false;
    }
    auto [p, ec] = std::from_chars(in.data() + start, in.data() + cr, value);
    if (ec != std::errc{} || p != in.data() + cr) {
        bad = true;
        return false;
    }
    pos = cr + 2;
    return true;
}

parse_result fail(std::string why) {
    parse_result r;
    r.status = parse_status::error;
    r.error = std::move(why);
    return r;
}

parse_result parse_inline(std::string_view in, const resp_limits& limits,
                          std::vector<std::string_view>& args) {
    const std::size_t nl = in.find('\n');
    if (nl == std::string_view::npos) {
        if (in.size() > limits.max_inline) return fail("Protocol error: too big inline request");
        return {};
    }
    if (nl > limits.max_inline) return fail("Protocol error: too big inline request");
    std::string_view line = in.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
        if (j > i) args.push_back(line.substr(i, j - i));
        i = j;
    }
    parse_result r;
    r.consumed = nl + 1;
    r.status = args.empty() ? parse_status::empty_line : parse_status::complete;
    return r;
}

}  // namespace

parse_result parse_request(std::string_view in, const resp_limits& limits,
                           std::vector<std::string_view>& args) {
    args.clear();
    if (in.empty()) return {};
    if (in[0] != '*') return parse_inline(in, limits, args);

    std::size_t pos = 1;
    std::int64_t count = 0;
    bool bad = false;
    if (!read_length(in, pos, count, bad, 32)) {
        if (bad) return fail("Protocol error: invalid multibulk length");
        return {};
    }
    if (count < 0 || static_cast<std::uint64_t>(count) > limits.max_args)
        return fail("Protocol error: invalid multibulk length");
    if (count == 0) {  // "*0\r\n" is an empty request: skipped
        parse_result r;
        r.status = parse_status::empty_line;
        r.consumed = pos;
        return r;
    }
    args.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) {
        if (pos >= in.size()) {
            args.clear();
            return {};
        }
        if (in[pos] != '$') {
            return fail(std::string("Protocol error: expected '$', got '") +
                        (in[pos] >= 0x20 && in[pos] < 0x7f ? std::string(1, in[pos]) : "?") + "'");
        }
        ++pos;
        std::int64_t len = 0;
        if (!read_length(in, pos, len, bad, 32)) {
            args.clear();
            if (bad) return fail("Protocol error: invalid bulk length");
            return {};
        }
        if (len < 0 || static_cast<std::uint64_t>(len) > limits.max_bulk)
            return fail("Protocol error: invalid bulk length");
        const std::size_t need = pos + static_cast<std::size_t>(len) + 2;
        if (need > limits.max_request) return fail("Protocol error: request too large");
        if (in.size() < need) {
            args.clear();
            parse_result r;
            r.needed = need;
            return r;
        }
        if (in[need - 2] != '\r' || in[need - 1] != '\n')
            return fail("Protocol error: bulk string not followed by CRLF");
        args.push_back(in.substr(pos, static_cast<std::size_t>(len)));
        pos = need;
    }
    parse_result r;
    r.status = parse_status::complete;
    r.consumed = pos;
    return r;
}

void write_simple(std::string& out, std::string_view s) {
    out += '+';
    out += s;
    out += "\r\n";
}

void write_error(std::string& out, std::string_view message) {
    out += '-';
    for (char c : message) out += (c == '\r' || c == '\n') ? ' ' : c;
    out += "\r\n";
}

void write_integer(std::string& out, std::int64_t v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out += ':';
    out.append(buf, p);
    out += "\r\n";
}

void write_bulk(std::string& out, std::string_view s) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, s.size());
    out += '$';
    out.append(buf, p);
    out += "\r\n";
    out += s;
    out += "\r\n";
}

void write_null(std::string& out) { out += "$-1\r\n"; }

void write_array_header(std::string& out, std::size_t n) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out += '*';
    out.append(buf, p);
    out += "\r\n";
}

void write_null_array(std::string& out) { out += "*-1\r\n"; }

}  // namespace fugu::server
