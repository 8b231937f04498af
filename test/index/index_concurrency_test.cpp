// SPDX-License-Identifier: MIT
// One thread builds and publishes index versions while three others take the latest one,
// check it is a whole version (every batch either fully in or fully out), and release
// their views in any order. Built with -fsanitize=thread this is the check of the
// memory ordering of epoch pins and the frees they lead to.
#include "index_model.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

using namespace fugu::test;
using fugu::detail::index_builder;

namespace {

constexpr std::uint32_t per_batch = 48;
constexpr std::uint32_t live_batches = 5;  // a batch is removed this many batches later

std::string batch_key(std::uint32_t batch, std::uint32_t j) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "b%07u/%03u", batch, j);
    return buf;
}

value_ref batch_value(std::uint32_t batch, std::uint32_t j) { return {batch, j, batch ^ j}; }

// Empty if `v` holds exactly batches [first, last] for some first and last, whole.
std::string check_version(const index_view& v) {
    std::size_t seen = 0;
    std::uint32_t first = 0, expect_batch = 0, expect_j = 0;
    for (auto it = v.begin(); it != v.end(); ++it, ++seen) {
        std::uint32_t batch = 0, j = 0;
        const std::string key(it.key());
        if (std::sscanf(key.c_str(), "b%7u/%3u", &batch, &j) != 2) return "foreign key " + key;
        if (seen == 0) first = expect_batch = batch;
        if (batch != expect_batch || j != expect_j) return "batch hole or disorder at " + key;
        if (!(it.value() == batch_value(batch, j))) return "wrong value at " + key;
        if (++expect_j == per_batch) {
            expect_j = 0;
            ++expect_batch;
        }
    }
    if (expect_j != 0) return "last batch incomplete";
    if (seen != v.size()) return "size differs from iteration";
    if (seen == 0) return {};
    if (!v.contains(batch_key(first, 0)) || v.contains(batch_key(first - 1, per_batch - 1)))
        return "find disagrees with iteration at the first batch";
    if (v.lower_bound("b") == v.end() || v.lower_bound("b").key() != batch_key(first, 0))
        return "lower_bound disagrees with iteration";
    return {};
}

}  // namespace

TEST_CASE("readers on other threads see whole versions while the builder publishes", "[index][concurrency]") {
    const std::size_t nodes_before = fugu::detail::live_nodes();
    std::mutex mutex;
    index_view latest;  // guarded by mutex
    std::vector<std::string> failures;  // guarded by mutex
    std::atomic<bool> done{false};
    std::atomic<std::size_t> checked{0};

    auto reader = [&](std::uint64_t seed) {
        std::mt19937_64 rng(seed);
        std::vector<index_view> held;
        while (!done.load(std::memory_order_acquire)) {
            index_view v;
            {
                std::lock_guard lock(mutex);
                v = latest;
            }
            if (std::string err = check_version(v); !err.empty()) {
                std::lock_guard lock(mutex);
                failures.push_back(std::move(err));
                return;
            }
            checked.fetch_add(1, std::memory_order_relaxed);
            held.push_back(std::move(v));
            // Drop a random held version, often the last holder of some of its nodes.
            if (held.size() > 6) held.erase(held.begin() + static_cast<std::ptrdiff_t>(rng() % held.size()));
        }
        std::shuffle(held.begin(), held.end(), rng);
    };

    std::vector<std::thread> readers;
    for (std::uint64_t s = 1; s <= 3; ++s) readers.emplace_back(reader, s);
    {
        index_builder b;
        // Publish at least 300 versions, and go on until the readers have checked plenty.
        for (std::uint32_t batch = 0; batch < 300 || checked.load() < 300; ++batch) {
            for (std::uint32_t j = 0; j < per_batch; ++j) b.put(batch_key(batch, j), batch_value(batch, j));
            if (batch >= live_batches)
                for (std::uint32_t j = 0; j < per_batch; ++j) b.remove(batch_key(batch - live_batches, j));
            index_view v = b.publish();
            std::lock_guard lock(mutex);
            latest = std::move(v);
            if (!failures.empty() || batch > 1'000'000) break;
        }
    }
    done.store(true, std::memory_order_release);
    for (auto& t : readers) t.join();
    {
        std::lock_guard lock(mutex);
        latest = index_view{};
    }
    INFO((failures.empty() ? std::string("none") : failures.front()));
    REQUIRE(failures.empty());
    CHECK(checked.load() >= 300);
    CHECK(fugu::detail::live_nodes() == nodes_before);
}
