// SPDX-License-Identifier: MIT
// What the tool prints: a small JSON writer for --json, a progress display that is a bar
// on a terminal and plain lines otherwise, and number formatting. Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace fugu::cli {

bool stdout_is_tty();

// Writes one JSON document to stdout as it goes. Commas and nesting are tracked, so
// callers only say what comes next. Strings are escaped; bytes that are not valid UTF-8
// text are written as \u00XX of each byte (scripts get the byte values back).
class json_writer {
public:
    json_writer() = default;
    ~json_writer();  // ends the line

    json_writer& begin_object();
    json_writer& end_object();
    json_writer& begin_array();
    json_writer& end_array();
    json_writer& key(std::string_view k);
    json_writer& value(std::string_view s);
    json_writer& value(const char* s) { return value(std::string_view(s)); }
    json_writer& value(std::uint64_t n);
    json_writer& value(std::int64_t n);
    json_writer& value(int n) { return value(static_cast<std::int64_t>(n)); }
    json_writer& value(double d);
    json_writer& value(bool b);
    json_writer& null();

    template <class T>
    json_writer& field(std::string_view k, const T& v) {
        key(k);
        return value(v);
    }

private:
    void separate();
    std::string out_;
    std::vector<bool> first_;  // per open container: nothing written in it yet
    bool after_key_ = false;
};

// Progress of long work. On a terminal: one line redrawn in place with a bar, at most
// ten times a second. Otherwise: a plain line at every tenth of the way. Quiet when
// disabled (--json), so machine-readable output stays clean.
class progress {
public:
    progress(std::string label, std::uint64_t total, bool enabled);
    ~progress();
    void update(std::uint64_t done);
    void finish();

private:
    void draw(std::uint64_t done, bool last);
    std::string label_;
    std::uint64_t total_;
    bool enabled_;
    bool tty_;
    bool finished_ = false;
    std::uint64_t next_line_ = 0;  // plain mode: the count that prints the next line
    std::chrono::steady_clock::time_point last_draw_{};
};

// 1536 -> "1.5 KiB".
std::string human_bytes(std::uint64_t n);
// 12345678 -> "12,345,678".
std::string grouped(std::uint64_t n);
// Fixed decimals, "%.*f".
std::string fixed(double v, int decimals);

}  // namespace fugu::cli
