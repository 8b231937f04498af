// SPDX-License-Identifier: MIT
// Small workloads of the crash families on the fault-injecting storage: change sets
// with a model of the contents after each prefix, a driver that keeps several saves in
// flight and notes how each ended, and a full read of a store.
#pragma once

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace fugu::test::crash {

using model = std::map<std::string, std::string>;

struct workload {
    std::vector<fugu::change_set> sets;
    std::vector<model> after;  // after[k]: contents once the first k sets are applied
};

// `keys` distinct keys, values of `min_value` .. `min_value + value_spread` bytes.
inline workload make_workload(std::uint32_t seed, int count, int keys = 12, std::size_t min_value = 200,
                              std::size_t value_spread = 3000) {
    std::mt19937 rng(seed);
    workload w;
    model m;
    w.after.push_back(m);
    for (int i = 0; i < count; ++i) {
        fugu::change_set c;
        const int n = 1 + static_cast<int>(rng() % 5);
        std::map<std::string, bool> used;
        for (int j = 0; j < n; ++j) {
            std::string k = "key" + std::to_string(rng() % static_cast<unsigned>(keys));
            if (used[k]) continue;
            used[k] = true;
            if (rng() % 4 == 0) {
                c.remove(k);
                m.erase(k);
            } else {
                std::string v(min_value + rng() % (value_spread + 1), static_cast<char>('a' + i % 26));
                v += std::to_string(i);
                c.put(k, v);
                m[k] = v;
            }
        }
        w.sets.push_back(std::move(c));
        w.after.push_back(m);
    }
    return w;
}

// How the saves of one run ended.
struct save_results {
    std::size_t acked = 0;             // highest 1-based index acknowledged, or 0
    std::size_t first_failed = 0;      // lowest 1-based index that failed, or 0
    std::size_t acked_after_failure = 0;  // acknowledged with an index above first_failed
    std::vector<fugu::error_code> errors;  // per change set, in order
};

inline void note(save_results& r, std::size_t index, fugu::error_code ec) {
    if (r.errors.size() < index) r.errors.resize(index);
    r.errors[index - 1] = ec;
    if (!ec) r.acked = std::max(r.acked, index);
    else if (r.first_failed == 0 || index < r.first_failed) r.first_failed = index;
}

inline void finish(save_results& r) {
    if (!r.first_failed) return;
    for (std::size_t i = r.first_failed; i < r.errors.size(); ++i)
        if (!r.errors[i]) ++r.acked_after_failure;
}

// Saves sets [from, to), `in_flight` at a time, in order.
inline boost::asio::awaitable<void> run_saves(fugu::store& st, const workload& w, std::size_t from,
                                              std::size_t to, std::size_t in_flight,
                                              save_results& out) {
    namespace asio = boost::asio;
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    for (std::size_t i = from; i < to; i += in_flight) {
        std::size_t pending = 0;
        for (std::size_t j = i; j < std::min(to, i + in_flight); ++j) {
            ++pending;
            fugu::change_set copy = w.sets[j];
            st.async_save(std::move(copy), asio::bind_executor(ex, [&, j](fugu::error_code ec, std::uint64_t) {
                note(out, j + 1, ec);
                if (--pending == 0) all_done.cancel();
            }));
        }
        // The timer is a condition variable here: cancelled when the last save completes.
        auto [ec] = co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
        all_done.expires_at(asio::steady_timer::time_point::max());
    }
}

inline boost::asio::awaitable<model> read_all(fugu::store& st) {
    namespace asio = boost::asio;
    model out;
    auto snap = co_await st.async_snapshot(asio::use_awaitable);
    for (std::string_view k : snap.keys()) {
        auto v = co_await snap.async_read(k, asio::use_awaitable);
        out.emplace(std::string(k), v.value());
    }
    co_return out;
}

// The store holds the first k change sets for some k >= at_least: none lost, none partial.
inline bool is_prefix_state(const workload& w, const model& got, std::size_t at_least) {
    for (std::size_t k = at_least; k < w.after.size(); ++k)
        if (got == w.after[k]) return true;
    return false;
}

}  // namespace fugu::test::crash
