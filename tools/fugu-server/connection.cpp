// SPDX-License-Identifier: MIT
#include "connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstring>

namespace fugu::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr std::size_t initial_buffer = 16 * 1024;
}  // namespace

connection::connection(tcp::socket socket, shared_state& shared, resp_limits limits,
                       const std::atomic<bool>& stopping)
    : socket_(std::move(socket)), shared_(shared), limits_(limits), stopping_(stopping),
      session_(shared) {}

void connection::stop() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        // Only an idle connection is interrupted; a busy one sees stopping_ when it is done.
        if (self->reading_) {
            error_code ignored;
            self->socket_.cancel(ignored);
        }
    });
}

asio::awaitable<void> connection::run() {
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);

    std::vector<char> buf(initial_buffer);
    std::size_t begin = 0, end = 0;  // unparsed bytes are buf[begin, end)
    std::vector<std::string_view> one, args;
    std::vector<std::pair<std::size_t, std::size_t>> bounds;  // into args
    std::vector<request> requests;
    std::string out;
    bool more_parsed = false;  // complete requests are left in buf: skip the read
    std::size_t grow_to = 0;   // bytes the incomplete request at `begin` needs

    for (;;) {
        if (!more_parsed) {
            if (stopping_.load()) break;
            // Room for the read: move unparsed bytes to the front, grow when full.
            if (begin > 0) {
                std::memmove(buf.data(), buf.data() + begin, end - begin);
                end -= begin;
                begin = 0;
            }
            if (grow_to > buf.size()) buf.resize(grow_to);
            grow_to = 0;
            if (end == buf.size()) buf.resize(std::min(buf.size() * 2, limits_.max_request + 64));
            if (end == buf.size()) break;  // the parser refuses such a request before this
            reading_ = true;
            auto [e, n] = co_await socket_.async_read_some(asio::buffer(buf.data() + end, buf.size() - end),
                                                           asio::as_tuple(asio::use_awaitable));
            reading_ = false;
            if (e) break;
            end += n;
        }

        args.clear();
        bounds.clear();
        std::string protocol_error;
        more_parsed = false;
        while (begin < end) {
            auto r = parse_request(std::string_view(buf.data() + begin, end - begin), limits_, one);
            if (r.status == parse_status::incomplete) {
                // Make room for the whole request at once when its size is known (after
                // this turn: the parsed requests point into buf).
                grow_to = r.needed;
                break;
            }
            if (r.status == parse_status::error) {
                protocol_error = std::move(r.error);
                break;
            }
            begin += r.consumed;
            if (r.status == parse_status::empty_line) continue;
            bounds.emplace_back(args.size(), one.size());
            args.insert(args.end(), one.begin(), one.end());
            // A turn executes at most one unit's worth of requests; the rest of a long
            // pipeline waits for the next turn (without a read), so replies start flowing
            // and memory stays bounded.
            if (bounds.size() == shared_.limits.unit_requests) {
                more_parsed = true;
                break;
            }
        }
        requests.clear();
        for (auto [at, n] : bounds) requests.emplace_back(args.data() + at, n);

        out.clear();
        bool keep = true;
        if (!requests.empty()) keep = co_await session_.execute(requests, out);
        if (keep && !protocol_error.empty()) {
            shared_.counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
            write_error(out, "ERR " + protocol_error);
            keep = false;
        }
        if (!out.empty()) {
            auto [e, n] = co_await asio::async_write(socket_, asio::buffer(out),
                                                     asio::as_tuple(asio::use_awaitable));
            if (e) break;
        }
        if (!keep) break;
        if (out.capacity() > (std::size_t{4} << 20)) std::string().swap(out);
        if (buf.size() > (std::size_t{4} << 20) && end - begin < initial_buffer) {
            // A large request passed: give the memory back.
            std::vector<char> small(initial_buffer);
            std::memcpy(small.data(), buf.data() + begin, end - begin);
            end -= begin;
            begin = 0;
            buf.swap(small);
        }
    }
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
}

}  // namespace fugu::server
