// SPDX-License-Identifier: MIT
#include "server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <exception>

namespace fugu::server {

namespace asio = boost::asio;
using asio::ip::tcp;

server::server(asio::any_io_executor ex, shared_state& shared, server_config config)
    : ex_(ex), strand_(asio::make_strand(ex)), shared_(shared), config_(std::move(config)),
      acceptor_(strand_), all_done_(strand_) {
    tcp::endpoint ep(asio::ip::make_address(config_.bind), config_.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    shared_.port = port_;
    shared_.max_clients = config_.max_clients;
}

void server::stop() {
    if (stopping_.exchange(true)) return;
    asio::post(strand_, [this] {
        error_code ignored;
        acceptor_.close(ignored);
    });
    std::lock_guard l(mu_);
    for (auto& c : live_) c->stop();
}

asio::awaitable<void> server::reject(tcp::socket socket) {
    static const std::string msg = "-ERR max number of clients reached\r\n";
    co_await asio::async_write(socket, asio::buffer(msg), asio::as_tuple(asio::use_awaitable));
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

void server::connection_done(std::shared_ptr<connection> c) {
    // Everything happens on the strand, and the count drops last: run() ends (and serve()'s
    // caller destroys this server and the shared state) as soon as it sees no connection,
    // so nothing may touch either after that, not even the connection's destructor.
    asio::post(strand_, [this, c = std::move(c)]() mutable {
        {
            std::lock_guard l(mu_);
            live_.erase(c);
        }
        c.reset();
        shared_.counters.connected.fetch_sub(1);
        all_done_.cancel();
    });
}

asio::awaitable<void> server::serve() {
    auto task = run();  // named before the co_await (GCC 12 and temporaries)
    co_await asio::co_spawn(strand_, std::move(task), asio::use_awaitable);
}

asio::awaitable<void> server::run() {
    while (!stopping_.load()) {
        auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ex_),
                                                            asio::as_tuple(asio::use_awaitable));
        if (stopping_.load()) break;
        if (ec) {
            // Out of descriptors or a client that went away before accept: wait a little
            // rather than spin, then go on.
            asio::steady_timer pause(strand_, std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        shared_.counters.connections_accepted.fetch_add(1, std::memory_order_relaxed);
        if (shared_.counters.connected.load() >= config_.max_clients) {
            shared_.counters.connections_rejected.fetch_add(1, std::memory_order_relaxed);
            auto ex = socket.get_executor();
            asio::co_spawn(ex, reject(std::move(socket)), asio::detached);
            continue;
        }
        auto ex = socket.get_executor();
        auto c = std::make_shared<connection>(std::move(socket), shared_, config_.resp, stopping_);
        shared_.counters.connected.fetch_add(1);
        {
            std::lock_guard l(mu_);
            live_.insert(c);
        }
        if (stopping_.load()) c->stop();  // stop() may have missed it
        asio::co_spawn(ex, c->run(), [this, c](std::exception_ptr e) mutable {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    std::fprintf(stderr, "fugu-server: connection ended by an error: %s\n", x.what());
                }
            }
            connection_done(std::move(c));
        });
    }
    // Every connection finishes what it is executing; idle ones were interrupted.
    while (shared_.counters.connected.load() > 0) {
        all_done_.expires_at(asio::steady_timer::time_point::max());
        co_await all_done_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

}  // namespace fugu::server
