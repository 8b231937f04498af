// SPDX-License-Identifier: MIT
// fugu-index-bench: the in-RAM index's memory figure and speed. For each key count it
// loads random 16-byte keys in batches of 4096 with a publish after each (as the index
// actor does), then reports RSS growth per key beyond the key bytes (the product's
// budget: 32 bytes), node bytes per key, and insert, lookup and iteration rates. Counts
// come from the command line; the default is 1M and 10M keys.
#include "index/index.hpp"
#include "index/index_check.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

using clock_type = std::chrono::steady_clock;
constexpr std::size_t key_size = 16;
constexpr std::size_t batch = 4096;

// Resident bytes of this process, from /proc/self/statm.
std::size_t rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
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

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

void run(std::size_t keys) {
    ::malloc_trim(0);
    const std::size_t rss_before = rss_bytes();
    index_view published;
    {
        index_builder b;
        key_stream stream(keys);
        const auto t0 = clock_type::now();
        for (std::size_t i = 0; i < keys; ++i) {
            b.put(stream.next(), {static_cast<std::uint32_t>(i % 64), static_cast<std::uint32_t>(i), 100});
            if ((i + 1) % batch == 0) published = b.publish();
        }
        published = b.publish();
        const double load_s = seconds_since(t0);
        const std::size_t rss_growth = rss_bytes() - rss_before;
        const double n = static_cast<double>(keys);
        const auto shape = fugu::detail::check_index(published);
        std::printf("%10zu keys: RSS +%.1f B/key beyond the key (budget 32), nodes %.1f B/key, "
                    "leaf fill %.1f%%, height %zu\n",
                    keys, static_cast<double>(rss_growth) / n - key_size,
                    static_cast<double>(b.memory_bytes()) / n, 100.0 * shape.leaf_fill(), shape.height);
        std::printf("%10s  insert %.2f M/s (batches of %zu, published each)\n", "", n / load_s / 1e6,
                    batch);
    }
    // Lookups and iteration on the published version alone.
    key_stream again(keys);
    std::size_t found = 0;
    const auto t1 = clock_type::now();
    for (std::size_t i = 0; i < keys; ++i) found += published.contains(again.next());
    const double find_s = seconds_since(t1);
    std::size_t walked = 0;
    const auto t2 = clock_type::now();
    for (auto it = published.begin(); it != published.end(); ++it) walked += it.key().size() == key_size;
    const double walk_s = seconds_since(t2);
    const double n = static_cast<double>(keys);
    std::printf("%10s  find %.2f M/s, iterate %.1f M/s%s\n", "", n / find_s / 1e6, n / walk_s / 1e6,
                found == keys && walked == published.size() ? "" : "  (MISMATCH: keys lost)");
}

}  // namespace

int main(int argc, char** argv) {
    try {
        std::vector<std::size_t> counts;
        for (int i = 1; i < argc; ++i) counts.push_back(std::strtoull(argv[i], nullptr, 10));
        if (counts.empty()) counts = {1'000'000, 10'000'000};
        std::printf("fugu-index-bench: random %zu-byte keys\n", key_size);
        for (std::size_t n : counts)
            if (n > 0) run(n);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fugu-index-bench: %s\n", e.what());
        return 1;
    }
}
