// SPDX-License-Identifier: MIT
// fugu-index-bench: the in-RAM index's memory figure and speed, on random 16-byte keys.
// Two ways of loading each key count: in batches of 4096 with a publish after each, as a
// running store applies group commits (two versions are alive at each publish, so RSS
// also holds the nodes the previous version still needed), and in one batch, as a restart
// rebuilds the index. Reports RSS growth per key beyond the key bytes (the product's
// budget: 32 bytes), node bytes per key, and insert, lookup and iteration rates per CPU
// second (the CPU time this process used, so that a busy machine skews them less).
// Usage: fugu-index-bench [key counts...]; the default is 1M and 10M.
#include "index/index.hpp"
#include "index/index_check.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <random>
#include <string_view>
#include <vector>

#include <malloc.h>
#include <unistd.h>

using fugu::detail::index_builder;
using fugu::detail::index_view;

namespace {

constexpr std::size_t key_size = 16;
constexpr std::size_t store_batch = 4096;

// Resident bytes of this process, from /proc/self/statm.
std::size_t rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

double cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The same seed gives the same keys again, so lookups need no stored copy of them (which
// would count in the RSS figure).
class key_stream {
public:
    explicit key_stream(std::uint64_t seed) : rng_(seed) {}
    std::string_view next() {
        for (std::size_t i = 0; i < key_size; i += 8) {
            const std::uint64_t r = rng_();
            for (std::size_t j = 0; j < 8; ++j) key_[i + j] = static_cast<char>(r >> (8 * j));
        }
        return {key_.data(), key_size};
    }

private:
    std::mt19937_64 rng_;
    std::array<char, key_size> key_{};
};

// Loads `keys` keys publishing every `batch` of them (0: once at the end) and prints the
// figures; returns false if the index lost a key.
bool run(std::size_t keys, std::size_t batch) {
    ::malloc_trim(0);  // give back what the previous run freed, for a clean baseline
    const std::size_t rss_before = rss_bytes();
    const double n = static_cast<double>(keys);
    index_view published;
    {
        index_builder b;
        key_stream stream(keys);
        const double t0 = cpu_seconds();
        for (std::size_t i = 0; i < keys; ++i) {
            b.put(stream.next(), {static_cast<std::uint32_t>(i % 64), static_cast<std::uint32_t>(i), 100});
            if (batch && (i + 1) % batch == 0) published = b.publish();
        }
        published = b.publish();
        const double load_s = cpu_seconds() - t0;
        const double rss_growth = static_cast<double>(rss_bytes() - rss_before);
        const auto shape = fugu::detail::check_index(published);
        char how[32];
        if (batch)
            std::snprintf(how, sizeof how, "batches of %zu", batch);
        else
            std::snprintf(how, sizeof how, "one batch");
        std::printf("%10zu keys, %-16s RSS %5.1f B/key beyond the key, nodes %5.1f B/key, "
                    "leaf fill %.1f%%, height %zu, insert %.2f M/s\n",
                    keys, how, rss_growth / n - key_size, static_cast<double>(b.memory_bytes()) / n,
                    100.0 * shape.leaf_fill(), shape.height, n / load_s / 1e6);
    }
    // Lookups and iteration on the published version alone.
    key_stream again(keys);
    std::size_t found = 0;
    const double t1 = cpu_seconds();
    for (std::size_t i = 0; i < keys; ++i) found += published.contains(again.next());
    const double find_s = cpu_seconds() - t1;
    std::size_t walked = 0;
    const double t2 = cpu_seconds();
    for (auto it = published.begin(); it != published.end(); ++it) walked += it.key().size() == key_size;
    const double walk_s = cpu_seconds() - t2;
    std::printf("%10s  find %.2f M/s, iterate %.1f M/s\n", "", n / find_s / 1e6, n / walk_s / 1e6);
    return found == keys && walked == published.size();
}

}  // namespace

int main(int argc, char** argv) {
    try {
        std::vector<std::size_t> counts;
        for (int i = 1; i < argc; ++i) counts.push_back(std::strtoull(argv[i], nullptr, 10));
        if (counts.empty()) counts = {1'000'000, 10'000'000};
        std::printf("fugu-index-bench: random %zu-byte keys; budget 32 B/key beyond the key\n",
                    key_size);
        bool ok = true;
        for (std::size_t n : counts) {
            if (n == 0) continue;
            ok = run(n, store_batch) && ok;
            ok = run(n, 0) && ok;
        }
        if (!ok) std::printf("MISMATCH: the index lost keys\n");
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fugu-index-bench: %s\n", e.what());
        return 1;
    }
}
