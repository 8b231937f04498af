// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <exception>
#include <mutex>
#include <thread>

namespace fugu::bench {

namespace {
// 1 MiB + 64 KiB of random bytes, made once from a fixed seed.
const std::string& value_pool() {
    static const std::string pool = [] {
        std::string p((std::size_t{1} << 20) + (std::size_t{64} << 10), '\0');
        for (std::size_t i = 0; i < p.size(); i += 8) {
            const std::uint64_t r = mix(i + 0x5eed);
            for (std::size_t j = 0; j < 8 && i + j < p.size(); ++j)
                p[i + j] = static_cast<char>(r >> (8 * j));
        }
        return p;
    }();
    return pool;
}
}  // namespace

std::string_view value_of(std::uint64_t id, std::uint64_t version, std::size_t size) {
    const std::string& p = value_pool();
    const std::size_t room = p.size() - size;
    const std::size_t off = static_cast<std::size_t>(mix(id * 31 + version) % (room + 1));
    return std::string_view(p).substr(off, size);
}

namespace {
double zeta(std::uint64_t n, double theta) {
    double s = 0;
    for (std::uint64_t i = 0; i < n; ++i) s += 1.0 / std::pow(static_cast<double>(i + 1), theta);
    return s;
}
}  // namespace

zipfian::zipfian(std::uint64_t n, double theta) : n_(n), theta_(theta) {
    alpha_ = 1.0 / (1.0 - theta);
    zetan_ = zeta(n, theta);
    const double zeta2 = zeta(2, theta);
    eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) / (1.0 - zeta2 / zetan_);
}

std::uint64_t zipfian::at(double u) const {
    const double uz = u * zetan_;
    std::uint64_t rank;
    if (uz < 1.0) {
        rank = 0;
    } else if (uz < 1.0 + std::pow(0.5, theta_)) {
        rank = 1;
    } else {
        rank = static_cast<std::uint64_t>(static_cast<double>(n_) *
                                          std::pow(eta_ * u - eta_ + 1.0, alpha_));
        if (rank >= n_) rank = n_ - 1;
    }
    return mix(rank ^ 0x7a1f) % n_;  // scrambled: the hottest ids are not neighbours
}

double histogram::quantile_us(double q) const {
    if (count_ == 0) return 0;
    const auto want = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        seen += buckets_[i];
        if (seen >= want && buckets_[i] != 0) {
            const double lo = lower(i), hi = i + 1 < buckets_.size() ? lower(i + 1) : lo;
            return (lo + hi) / 2 / 1000.0;
        }
    }
    return 0;
}

histogram stream::reads() const {
    histogram h;
    for (const auto& s : reads_) h.merge(s.h);
    return h;
}
histogram stream::writes() const {
    histogram h;
    for (const auto& s : writes_) h.merge(s.h);
    return h;
}
std::uint64_t stream::keys_written() const {
    std::uint64_t n = 0;
    for (const auto& s : writes_) n += s.keys;
    return n;
}

void sync_engine::run(stream& s) {
    std::mutex m;
    std::exception_ptr first;
    auto body = [&](unsigned w) {
        try {
            thread_begin(s.read_only());
            op o;
            std::string out;
            std::vector<kv> kvs;
            while (s.next(w, o)) {
                if (o.start_at != clock_type::time_point{}) std::this_thread::sleep_until(o.start_at);
                const auto t0 = clock_type::now();
                switch (o.kind) {
                case op_kind::put: {
                    const auto k = key_of(o.key);
                    put({k.data(), k.size()}, value_of(o.key, o.version, o.value_size));
                    break;
                }
                case op_kind::batch:
                    kvs.clear();
                    for (std::uint32_t j = 0; j < o.count; ++j)
                        kvs.push_back({key_of(o.key + j), value_of(o.key + j, o.version, o.value_size)});
                    write_batch(kvs);
                    break;
                case op_kind::get: {
                    const auto k = key_of(o.key);
                    if (!get({k.data(), k.size()}, out, s.read_only()) || out.size() != o.value_size)
                        s.miss();
                    break;
                }
                case op_kind::rmw: {
                    const auto k = key_of(o.key);
                    if (!get({k.data(), k.size()}, out, false)) s.miss();
                    put({k.data(), k.size()}, value_of(o.key, o.version, o.value_size));
                    break;
                }
                }
                s.record(w, o.kind, clock_type::now() - t0, o.kind == op_kind::get ? 0 : o.count);
            }
            thread_end();
        } catch (...) {
            std::lock_guard lock(m);
            if (!first) first = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    for (unsigned w = 1; w < s.workers(); ++w) threads.emplace_back(body, w);
    body(0);
    for (auto& t : threads) t.join();
    if (first) std::rethrow_exception(first);
}

}  // namespace fugu::bench
