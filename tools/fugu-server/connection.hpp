// SPDX-License-Identifier: MIT
// One client connection: one coroutine on its own strand that reads, parses every
// complete request that arrived (a pipeline), executes them in order through a session,
// and sends all their replies with one write before reading again. Malformed input gets
// a RESP error and the connection is closed after it, as Redis does.
#pragma once

#include "commands.hpp"
#include "resp.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fugu::server {

class connection : public std::enable_shared_from_this<connection> {
public:
    connection(boost::asio::ip::tcp::socket socket, shared_state& shared, resp_limits limits,
               const std::atomic<bool>& stopping);

    // Serves the client until it leaves, sends QUIT or bad input, or the server stops.
    boost::asio::awaitable<void> run();

    // Asks the connection to finish: it completes the requests it is executing, sends
    // their replies, then closes. Safe from any thread.
    void stop();

private:
    boost::asio::ip::tcp::socket socket_;
    shared_state& shared_;
    const resp_limits limits_;
    const std::atomic<bool>& stopping_;
    session session_;
    bool reading_ = false;  // a read is pending (touched only on the socket's strand)
};

}  // namespace fugu::server
