// SPDX-License-Identifier: MIT
// Key and value encodings: text (with backslash escapes in files and output), hex and
// base64; and reading a value from a file or stdin.
#include "cli.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace fugu::cli {

namespace {

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

[[noreturn]] void bad(std::string_view what, const std::string& why) {
    throw failure(exit_code::usage, std::string(what) + ": " + why);
}

std::string from_hex(std::string_view in, std::string_view what) {
    if (in.size() % 2) bad(what, "hex needs an even number of digits");
    std::string out;
    out.reserve(in.size() / 2);
    for (std::size_t i = 0; i < in.size(); i += 2) {
        const int hi = hex_digit(in[i]), lo = hex_digit(in[i + 1]);
        if (hi < 0 || lo < 0) bad(what, "not a hex digit at position " + std::to_string(hi < 0 ? i : i + 1));
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

std::string from_base64(std::string_view in, std::string_view what) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    std::size_t pad = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '=') {
            ++pad;
            continue;
        }
        if (pad) bad(what, "base64 has data after its padding");
        const auto p = base64_alphabet.find(c);
        if (p == std::string_view::npos) bad(what, "not a base64 character at position " + std::to_string(i));
        acc = (acc << 6) | static_cast<std::uint32_t>(p);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    if (pad > 2 || bits >= 6) bad(what, "base64 has the wrong length");
    return out;
}

std::string unescape(std::string_view in, std::string_view what) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '\\') {
            out += in[i];
            continue;
        }
        if (++i == in.size()) bad(what, "a backslash ends the text (write \\\\ for one)");
        switch (in[i]) {
        case '\\': out += '\\'; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '0': out += '\0'; break;
        case 's': out += ' '; break;
        case 'x': {
            const int hi = i + 1 < in.size() ? hex_digit(in[i + 1]) : -1;
            const int lo = i + 2 < in.size() ? hex_digit(in[i + 2]) : -1;
            if (hi < 0 || lo < 0) bad(what, "\\x needs two hex digits");
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
            break;
        }
        default:
            bad(what, std::string("unknown escape \\") + in[i] +
                          " (known: \\\\ \\t \\n \\r \\0 \\s \\xHH)");
        }
    }
    return out;
}

}  // namespace

encoding parse_encoding(std::string_view name) {
    if (name == "text") return encoding::text;
    if (name == "hex") return encoding::hex;
    if (name == "base64") return encoding::base64;
    throw failure(exit_code::usage,
                  "unknown encoding \"" + std::string(name) + "\" (use text, hex or base64)");
}

encodings encodings_from(const args& a) {
    encodings e;
    if (auto v = a.get("encoding")) e.key = e.value = parse_encoding(*v);
    if (auto v = a.get("key-encoding")) e.key = parse_encoding(*v);
    if (auto v = a.get("value-encoding")) e.value = parse_encoding(*v);
    return e;
}

std::string decode_arg(std::string_view in, encoding e, std::string_view what) {
    switch (e) {
    case encoding::text: return std::string(in);
    case encoding::hex: return from_hex(in, what);
    case encoding::base64: return from_base64(in, what);
    }
    return {};
}

std::string decode_field(std::string_view in, encoding e, std::string_view what) {
    if (in == "\\e") return {};
    if (e == encoding::text) return unescape(in, what);
    return decode_arg(in, e, what);
}

std::string escape_text(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (unsigned char c : bytes) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case ' ': out += "\\s"; break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                static constexpr char digits[] = "0123456789abcdef";
                out += "\\x";
                out += digits[c >> 4];
                out += digits[c & 15];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out;
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string to_base64(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                                (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
                                std::uint8_t(bytes[i + 2]);
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
        out += base64_alphabet[(v >> 6) & 63];
        out += base64_alphabet[v & 63];
    }
    if (const std::size_t rest = bytes.size() - i) {
        std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16;
        if (rest == 2) v |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
        out += rest == 2 ? base64_alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string encode_field(std::string_view bytes, encoding e) {
    if (bytes.empty()) return "\\e";
    switch (e) {
    case encoding::text: return escape_text(bytes);
    case encoding::hex: return to_hex(bytes);
    case encoding::base64: return to_base64(bytes);
    }
    return {};
}

std::string read_input(const std::string& path) {
    const bool is_stdin = path == "-";
    std::FILE* f = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
    if (!f) {
        throw failure(exit_code::io_error,
                      "cannot read " + path + ": " + std::strerror(errno));
    }
    std::string out;
    char buf[1 << 16];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const bool err = std::ferror(f) != 0;
    const int e = errno;
    if (!is_stdin) std::fclose(f);
    if (err) {
        throw failure(exit_code::io_error,
                      "cannot read " + (is_stdin ? std::string("stdin") : path) + ": " + std::strerror(e));
    }
    return out;
}

}  // namespace fugu::cli
