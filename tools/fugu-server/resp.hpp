// SPDX-License-Identifier: MIT
// RESP2, the Redis wire protocol, without I/O: an incremental request parser that works
// on whatever bytes have arrived so far, and the reply writers. The parser is stateless
// between calls (it re-reads the headers of an incomplete request, never its bulk bytes),
// so a connection keeps one buffer and calls parse() after every read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fugu::server {

struct resp_limits {
    std::size_t max_bulk = std::size_t{64} << 20;     // bytes in one argument
    std::size_t max_args = 1024 * 1024;               // arguments in one request
    std::size_t max_request = std::size_t{128} << 20;  // bytes of one whole request
    std::size_t max_inline = 64 * 1024;               // bytes of one inline request line
};

enum class parse_status {
    complete,    // `args` holds one request; `consumed` bytes of input belong to it
    incomplete,  // more bytes are needed; nothing was consumed
    empty_line,  // an empty inline line (ignored, as Redis does); `consumed` bytes skip it
    error,       // malformed or over a limit: `error` says why; the connection must close
};

struct parse_result {
    parse_status status = parse_status::incomplete;
    std::size_t consumed = 0;
    // With incomplete: the least total input size that can hold this request (a hint for
    // growing the buffer; 0 when unknown).
    std::size_t needed = 0;
    std::string error;
};

// Parses one request from the front of `in`: a RESP array of bulk strings, or an inline
// command (words separated by spaces, as typed into telnet). On `complete`, `args` holds
// views into `in`.
parse_result parse_request(std::string_view in, const resp_limits& limits,
                           std::vector<std::string_view>& args);

// Reply writers: each appends one RESP2 value to `out`.
void write_simple(std::string& out, std::string_view s);  // must not hold CR or LF
void write_error(std::string& out, std::string_view message);  // "ERR ..." etc.; CR/LF become spaces
void write_integer(std::string& out, std::int64_t v);
void write_bulk(std::string& out, std::string_view s);
void write_null(std::string& out);  // the null bulk string
void write_array_header(std::string& out, std::size_t n);
void write_null_array(std::string& out);

}  // namespace fugu::server
