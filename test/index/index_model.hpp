// SPDX-License-Identifier: MIT
// Shared by the index tests: a std::map model of the index, comparison of a view with
// it, and key generators that force collisions, NUL bytes and long shared prefixes.
#pragma once

#include "index/index.hpp"
#include "index/index_check.hpp"

#include <fugu/limits.hpp>

#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace fugu::test {

using detail::index_view;
using detail::value_ref;
using index_model = std::map<std::string, value_ref>;

// A key fit for a failure message: escaped, and cut short.
inline std::string printable(std::string_view key) {
    std::string out;
    for (unsigned char c : key.substr(0, 40)) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (key.size() > 40) out += "...(" + std::to_string(key.size()) + " bytes)";
    return out;
}

inline value_ref random_ref(std::mt19937_64& rng) {
    const std::uint64_t r = rng();
    return {static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(r >> 32),
            static_cast<std::uint32_t>(rng())};
}

// Keys from a few families: short keys over a 4-letter alphabet with NUL and 0xff (so
// puts collide and removes hit), long keys sharing long prefixes (so separators are long
// and inner nodes hold few of them), and keys of any length up to max_key_size.
class key_source {
public:
    explicit key_source(std::uint64_t seed) : rng_(seed) {
        for (std::size_t len : {100u, 600u, 1022u}) {
            std::string p;
            for (std::size_t i = 0; i < len; ++i) p += static_cast<char>('A' + rng_() % 3);
            prefixes_.push_back(std::move(p));
        }
    }

    std::string next() {
        const unsigned family = static_cast<unsigned>(rng_() % 10);
        if (family < 6) return from_alphabet(rng_() % 7, short_alphabet);
        if (family < 9) {
            const std::string& p = prefixes_[rng_() % prefixes_.size()];
            std::string k = p.substr(0, p.size() - rng_() % 3);
            k += from_alphabet(rng_() % 4, short_alphabet);
            if (k.size() > max_key_size) k.resize(max_key_size);
            return k;
        }
        return from_alphabet(rng_() % (max_key_size + 1), binary_alphabet);
    }

    std::mt19937_64& rng() noexcept { return rng_; }

private:
    static constexpr std::string_view short_alphabet{"\0a\xff\x01", 4};
    static constexpr std::string_view binary_alphabet{"\0\1", 2};

    std::string from_alphabet(std::size_t len, std::string_view alphabet) {
        std::string k(len, '\0');
        for (char& c : k) c = alphabet[rng_() % alphabet.size()];
        return k;
    }

    std::mt19937_64 rng_;
    std::vector<std::string> prefixes_;
};

// Empty if `view` holds exactly `model` (by find, full iteration and size), else what
// differs first.
inline std::string compare_with_model(const index_view& view, const index_model& model) {
    if (view.size() != model.size())
        return "size " + std::to_string(view.size()) + " != model " + std::to_string(model.size());
    auto it = view.begin();
    for (const auto& [key, ref] : model) {
        if (it == view.end()) return "iteration ended before " + printable(key);
        if (it.key() != key) return "iteration has " + printable(it.key()) + " where model has " + printable(key);
        if (!(it.value() == ref)) return "iteration value differs at " + printable(key);
        const auto found = view.find(key);
        if (!found || !(*found == ref)) return "find misses or differs at " + printable(key);
        ++it;
    }
    if (it != view.end()) return "iteration goes past the model's end";
    detail::check_index(view);
    return {};
}

// Empty if lower_bound(probe) on `view` lands where the model's does.
inline std::string compare_lower_bound(const index_view& view,
                                       const index_model& model,
                                       std::string_view probe) {
    const auto expect = model.lower_bound(std::string(probe));
    const auto got = view.lower_bound(probe);
    if (expect == model.end())
        return got == view.end() ? std::string{} : "lower_bound(" + printable(probe) + ") not at end";
    if (got == view.end()) return "lower_bound(" + printable(probe) + ") at end";
    if (got.key() != expect->first || !(got.value() == expect->second))
        return "lower_bound(" + printable(probe) + ") gives " + printable(got.key());
    return {};
}

}  // namespace fugu::test
