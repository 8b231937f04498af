// SPDX-License-Identifier: MIT
// The change sets of the kill -9 loop, shared by the writer child and the checking
// parent. Change set `stamp` is a pure function of (seed, stamp), so the parent can
// rebuild exactly what the child saved from the stamps alone, and every value carries
// its change set's stamp: after a crash, the keys of one change set either all carry
// its stamp (or a later one) or none does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace fugu::test::kill9 {

// Few keys, so change sets overwrite each other and compaction has dead data to drop.
constexpr int key_space = 256;

// The messages the child writes to its report pipe: one tag byte and a stamp.
enum class report : char {
    opened = 'O',    // the store is open (stamp 0)
    issued = 'I',    // async_save of this change set is about to be called
    acked = 'A',     // async_save completed without error
    failed = 'E',    // async_save completed with an error
    compacted = 'C', // an async_compact completed (stamp: how many so far)
};
constexpr std::size_t report_size = 9;

struct entry {
    std::string key;
    std::optional<std::string> value;  // nullopt: a remove
};

inline std::string key_name(int k) {
    return "key-" + std::to_string(k);
}

// Every change set has at least one put, so the highest stamp found after a crash is the
// last change set applied.
inline std::vector<entry> change_set_for(std::uint64_t seed, std::uint64_t stamp) {
    std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull ^ (stamp * 0xbf58476d1ce4e5b9ull));
    const int n = 2 + static_cast<int>(rng() % 7);
    std::vector<entry> out;
    std::vector<bool> used(key_space, false);
    while (static_cast<int>(out.size()) < n) {
        const int k = static_cast<int>(rng() % key_space);
        if (used[static_cast<std::size_t>(k)]) continue;
        used[static_cast<std::size_t>(k)] = true;
        entry e;
        e.key = key_name(k);
        if (out.empty() || rng() % 6 != 0) {
            std::string v = "stamp=" + std::to_string(stamp) + " " + e.key + " ";
            v.resize(v.size() + 16 + rng() % 1200, static_cast<char>('a' + stamp % 26));
            e.value = std::move(v);
        }
        out.push_back(std::move(e));
    }
    return out;
}

// The stamp a value was written by, or 0 when the value is not one of ours.
inline std::uint64_t stamp_of(std::string_view value) {
    if (value.substr(0, 6) != "stamp=") return 0;
    std::uint64_t s = 0;
    for (std::size_t i = 6; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i)
        s = s * 10 + static_cast<std::uint64_t>(value[i] - '0');
    return s;
}

inline void apply(std::map<std::string, std::string>& m, std::uint64_t seed, std::uint64_t stamp) {
    for (auto& e : change_set_for(seed, stamp)) {
        if (e.value) m[e.key] = std::move(*e.value);
        else m.erase(e.key);
    }
}

}  // namespace fugu::test::kill9
