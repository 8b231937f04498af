// SPDX-License-Identifier: MIT
// The child of the kill -9 loop (kill9_test.cpp). It opens the store in `dir` and saves
// the change sets of kill9_workload.hpp from `first_stamp` on, keeping many saves in
// flight and asking for a compaction now and then, until it is killed. Every completed
// save is reported on file descriptor 3 before anything else happens, so the parent
// knows, outside the store, which change sets were acknowledged.
//
// usage: kill9_writer DIR threads|io_uring SEED FIRST_STAMP
#include "kill9_workload.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include <unistd.h>

namespace asio = boost::asio;
using namespace fugu::test::kill9;

namespace {

constexpr int report_fd = 3;
constexpr int saves_in_flight = 32;
constexpr std::uint64_t compact_every = 48;  // issued change sets between compactions

void send(report what, std::uint64_t stamp) {
    char buf[report_size];
    buf[0] = static_cast<char>(what);
    std::memcpy(buf + 1, &stamp, sizeof stamp);
    // At most PIPE_BUF bytes: the write is atomic, never interleaved.
    for (;;) {
        const ssize_t n = ::write(report_fd, buf, sizeof buf);
        if (n == static_cast<ssize_t>(sizeof buf)) return;
        if (n < 0 && errno == EINTR) continue;
        std::_Exit(4);  // the parent went away
    }
}

fugu::options writer_options(fugu::io_engine engine) {
    fugu::options o;
    o.io_engine = engine;
    o.durability = fugu::durability::fsync;
    o.base_slab_size = 64 << 10;       // the smallest: rotations and merges happen often
    o.compaction_threshold = 0.9;      // merge as soon as a tenth of the data is dead
    o.max_pending_saves = 64;
    return o;
}

class writer {
public:
    writer(fugu::store& st, std::uint64_t seed, std::uint64_t first)
        : st_(st), seed_(seed), next_(first) {}

    void issue() {
        while (in_flight_ < saves_in_flight) {
            const std::uint64_t stamp = next_++;
            fugu::change_set c;
            for (auto& e : change_set_for(seed_, stamp)) {
                if (e.value) c.put(e.key, *e.value);
                else c.remove(e.key);
            }
            send(report::issued, stamp);
            ++in_flight_;
            st_.async_save(std::move(c), [this, stamp](fugu::error_code ec, std::uint64_t) {
                send(ec ? report::failed : report::acked, stamp);
                if (ec) {
                    std::fprintf(stderr, "kill9_writer: save %llu failed: %s\n",
                                 static_cast<unsigned long long>(stamp), ec.message().c_str());
                    std::_Exit(3);
                }
                --in_flight_;
                issue();
            });
            if (++since_compact_ >= compact_every && !compacting_) {
                since_compact_ = 0;
                compacting_ = true;
                st_.async_compact([this](fugu::error_code ec) {
                    compacting_ = false;
                    if (!ec) send(report::compacted, ++compactions_);
                });
            }
        }
    }

private:
    fugu::store& st_;
    std::uint64_t seed_;
    std::uint64_t next_;
    int in_flight_ = 0;
    std::uint64_t since_compact_ = 0;
    bool compacting_ = false;
    std::uint64_t compactions_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: kill9_writer DIR threads|io_uring SEED FIRST_STAMP\n");
        return 2;
    }
    const std::string dir = argv[1];
    const std::string engine_name = argv[2];
    const auto engine = engine_name == "io_uring" ? fugu::io_engine::io_uring : fugu::io_engine::threads;
    const std::uint64_t seed = std::strtoull(argv[3], nullptr, 10);
    const std::uint64_t first = std::strtoull(argv[4], nullptr, 10);

    asio::io_context ctx(1);
    std::optional<fugu::store> st;
    std::optional<writer> w;
    fugu::diagnostics diag;
    fugu::store::async_open(ctx.get_executor(), dir, writer_options(engine), diag,
                            [&](fugu::error_code ec, fugu::store s) {
                                if (ec) {
                                    std::fprintf(stderr, "kill9_writer: open failed: %s %s\n",
                                                 ec.message().c_str(), diag.message().c_str());
                                    std::_Exit(3);
                                }
                                st.emplace(std::move(s));
                                send(report::opened, 0);
                                w.emplace(*st, seed, first);
                                w->issue();
                            });
    ctx.run();
    return 0;
}
