// SPDX-License-Identifier: MIT
#include "glob.hpp"

#include <cstddef>

namespace fugu::server {

namespace {

// Matches one byte against the class starting after '[' at p[i]; sets `next` to the
// index after the closing ']' (or the pattern's end when there is none, as Redis does).
bool match_class(std::string_view p, std::size_t i, unsigned char c, std::size_t& next) noexcept {
    bool negate = false;
    if (i < p.size() && p[i] == '^') {
        negate = true;
        ++i;
    }
    bool hit = false;
    while (i < p.size() && p[i] != ']') {
        if (p[i] == '\\' && i + 1 < p.size()) {
            if (static_cast<unsigned char>(p[i + 1]) == c) hit = true;
            i += 2;
        } else if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
            unsigned char lo = static_cast<unsigned char>(p[i]);
            unsigned char hi = static_cast<unsigned char>(p[i + 2]);
            if (lo > hi) {
                unsigned char t = lo;
                lo = hi;
                hi = t;
            }
            if (c >= lo && c <= hi) hit = true;
            i += 3;
        } else {
            if (static_cast<unsigned char>(p[i]) == c) hit = true;
            ++i;
        }
    }
    next = i < p.size() ? i + 1 : i;
    return hit != negate;
}

}  // namespace

bool glob_match(std::string_view p, std::string_view s) noexcept {
    std::size_t pi = 0, si = 0;
    // Where to resume after the last '*': pattern index after it, and the next key index
    // it may swallow up to. One saved star suffices for globs (a later star supersedes it).
    std::size_t star_p = std::string_view::npos, star_s = 0;
    while (si < s.size()) {
        if (pi < p.size()) {
            const char pc = p[pi];
            if (pc == '*') {
                while (pi < p.size() && p[pi] == '*') ++pi;
                if (pi == p.size()) return true;
                star_p = pi;
                star_s = si;
                continue;
            }
            const unsigned char c = static_cast<unsigned char>(s[si]);
            if (pc == '?') {
                ++pi;
                ++si;
                continue;
            }
            if (pc == '[') {
                std::size_t next = 0;
                if (match_class(p, pi + 1, c, next)) {
                    pi = next;
                    ++si;
                    continue;
                }
            } else if (pc == '\\' && pi + 1 < p.size()) {
                if (static_cast<unsigned char>(p[pi + 1]) == c) {
                    pi += 2;
                    ++si;
                    continue;
                }
            } else if (static_cast<unsigned char>(pc) == c) {
                ++pi;
                ++si;
                continue;
            }
        }
        if (star_p == std::string_view::npos) return false;
        pi = star_p;
        si = ++star_s;
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

std::string_view glob_literal_prefix(std::string_view p) noexcept {
    std::size_t i = 0;
    while (i < p.size() && p[i] != '*' && p[i] != '?' && p[i] != '[' && p[i] != '\\') ++i;
    return p.substr(0, i);
}

}  // namespace fugu::server
