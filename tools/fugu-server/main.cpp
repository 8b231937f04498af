// SPDX-License-Identifier: MIT
// fugu-server: a Redis-protocol (RESP2) server storing in a Fugu store.
//
//   fugu-server --dir DIR [--port 6379] [--bind 127.0.0.1] [--threads N]
//               [--durability fsync|os_buffered] [--io-engine auto|io_uring|threads]
//               [--max-clients 10000] [--max-request BYTES]
//
// Once it listens it prints one line, "fugu-server listening on ADDRESS:PORT", to standard
// output (with --port 0 the port is any free one). SIGINT or SIGTERM shut it down
// gracefully: no new connections, requests being executed finish and are answered, then
// the store is closed.
#include "commands.hpp"
#include "server.hpp"
#include "tools/common/option_names.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace fugu::server;

namespace {

struct config {
    std::string dir;
    server_config net;
    unsigned threads = 0;
    fugu::options opts;
};

[[noreturn]] void usage(const char* why) {
    if (why) std::fprintf(stderr, "fugu-server: %s\n", why);
    std::fprintf(stderr,
                 "usage: fugu-server --dir DIR [--port 6379] [--bind 127.0.0.1] [--threads N]\n"
                 "                   [--durability fsync|os_buffered]\n"
                 "                   [--io-engine auto|io_uring|threads]\n"
                 "                   [--max-clients 10000] [--max-request BYTES]\n");
    std::exit(2);
}

std::uint64_t number(std::string_view s, const char* what) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) {
        std::string why = std::string("not a number for ") + what + ": " + std::string(s);
        usage(why.c_str());
    }
    return v;
}

config parse(int argc, char** argv) {
    config c;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--help" || a == "-h") usage(nullptr);
        if (i + 1 >= argc) usage(("missing value for " + std::string(a)).c_str());
        std::string_view v = argv[++i];
        if (a == "--dir") {
            c.dir = v;
        } else if (a == "--port") {
            const auto p = number(v, "--port");
            if (p > 65535) usage("--port must be at most 65535");
            c.net.port = static_cast<std::uint16_t>(p);
        } else if (a == "--bind") {
            c.net.bind = v;
        } else if (a == "--threads") {
            c.threads = static_cast<unsigned>(number(v, "--threads"));
            if (c.threads < 1 || c.threads > 256) usage("--threads must be 1 .. 256");
        } else if (a == "--durability") {
            auto d = fugu::tools::parse_durability(v);
            if (!d) usage("--durability is fsync or os_buffered");
            c.opts.durability = *d;
        } else if (a == "--io-engine") {
            auto e = fugu::tools::parse_io_engine(v);
            if (!e) usage("--io-engine is auto, io_uring or threads");
            c.opts.io_engine = *e;
        } else if (a == "--max-clients") {
            c.net.max_clients = number(v, "--max-clients");
            if (c.net.max_clients < 1) usage("--max-clients must be at least 1");
        } else if (a == "--max-request") {
            const auto m = number(v, "--max-request");
            if (m < 1024) usage("--max-request must be at least 1024");
            c.net.resp.max_request = m;
            // One argument can be at most a value plus framing, and at most the request.
            c.net.resp.max_bulk = std::min<std::uint64_t>(m, fugu::max_value_size + 64);
        } else {
            usage(("unknown option " + std::string(a)).c_str());
        }
    }
    if (c.dir.empty()) usage("--dir is required");
    if (c.threads == 0) c.threads = std::max(1u, std::thread::hardware_concurrency());
    return c;
}

asio::awaitable<void> serve(config c, asio::signal_set& signals, int& status) {
    auto ex = co_await asio::this_coro::executor;
    fugu::diagnostics diag;
    auto [ec, store] = co_await fugu::store::async_open(ex, c.dir, c.opts, diag,
                                                        asio::as_tuple(asio::use_awaitable));
    if (ec) {
        std::fprintf(stderr, "fugu-server: cannot open the store in %s: %s%s%s\n", c.dir.c_str(),
                     ec.message().c_str(), diag.message().empty() ? "" : ": ",
                     diag.message().c_str());
        status = 1;
        signals.cancel();
        co_return;
    }
    shared_state shared(store, fugu::tools::durability_name(c.opts.durability));
    std::unique_ptr<server> srv;
    try {
        srv = std::make_unique<server>(ex, shared, c.net);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fugu-server: cannot listen on %s:%u: %s\n", c.net.bind.c_str(),
                     unsigned(c.net.port), e.what());
        status = 1;
    }
    if (!srv) {
        signals.cancel();
        co_await store.async_close(asio::as_tuple(asio::use_awaitable));
        co_return;
    }
    signals.async_wait([&srv](const fugu::error_code& e, int) {
        if (!e) srv->stop();
    });
    std::printf("fugu-server listening on %s:%u (durability %s, %u threads, I/O engine %s)\n",
                c.net.bind.c_str(), unsigned(srv->port()), fugu::tools::durability_name(c.opts.durability), c.threads,
                store.stats().io_engine.c_str());
    std::fflush(stdout);

    co_await srv->serve();
    signals.cancel();
    auto [cec] = co_await store.async_close(asio::as_tuple(asio::use_awaitable));
    if (cec) {
        std::fprintf(stderr, "fugu-server: closing the store: %s\n", cec.message().c_str());
        status = 1;
    }
    std::fprintf(stderr, "fugu-server: stopped\n");
}

}  // namespace

int main(int argc, char** argv) {
    config c = parse(argc, argv);
    std::signal(SIGPIPE, SIG_IGN);
    asio::io_context ioc(static_cast<int>(c.threads));
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    int status = 0;
    asio::co_spawn(ioc, serve(c, signals, status), [&](std::exception_ptr e) {
        if (!e) return;
        status = 1;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            std::fprintf(stderr, "fugu-server: %s\n", x.what());
        }
        signals.cancel();
    });
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < c.threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    return status;
}
