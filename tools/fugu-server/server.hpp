// SPDX-License-Identifier: MIT
// The listening side of fugu-server: accepts connections (refusing those past the limit
// with a RESP error, as Redis does), runs each on its own strand, and shuts down
// gracefully: stop accepting, let every connection finish the requests it is executing
// and send their replies, then return so the caller can close the store. Nothing
// acknowledged is lost, because a reply is sent only after its save completed.
#pragma once

#include "commands.hpp"
#include "connection.hpp"
#include "resp.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace fugu::server {

struct server_config {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 6379;  // 0: any free port (see server::port())
    std::size_t max_clients = 10000;
    resp_limits resp;
};

class server {
public:
    // Binds and listens at once; throws boost::system::system_error when it cannot.
    server(boost::asio::any_io_executor ex, shared_state& shared, server_config config);

    // The port actually bound.
    std::uint16_t port() const noexcept { return port_; }

    // Accepts until stop(), then waits for every connection to finish. May be awaited
    // from any coroutine: the work runs on the server's strand.
    boost::asio::awaitable<void> serve();

    // Starts the graceful shutdown. Safe from any thread, more than once.
    void stop();

private:
    boost::asio::awaitable<void> run();
    boost::asio::awaitable<void> reject(boost::asio::ip::tcp::socket socket);
    void connection_done(std::shared_ptr<connection> c);

    boost::asio::any_io_executor ex_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    shared_state& shared_;
    const server_config config_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    boost::asio::steady_timer all_done_;  // cancelled when the last connection ends

    std::mutex mu_;
    std::set<std::shared_ptr<connection>> live_;
};

}  // namespace fugu::server
