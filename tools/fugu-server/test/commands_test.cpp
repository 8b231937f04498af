// SPDX-License-Identifier: MIT
// The commands against a store on memory_storage: no sockets, replies compared as RESP.
#include "commands.hpp"
#include "key_locks.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <exception>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace fugu::server;

namespace {

using requests_t = std::vector<std::vector<std::string>>;

// A store on memory_storage and an io_context run by the test thread itself: every call
// runs the context until its work is done, so test bodies hold no coroutines.
struct fixture {
    asio::io_context ctx;
    std::shared_ptr<fugu::memory_storage> storage =
        std::make_shared<fugu::memory_storage>(ctx.get_executor());
    fugu::store store;
    std::unique_ptr<shared_state> shared;

    fixture() {
        bool done = false;
        fugu::store::async_open(ctx.get_executor(), storage, fugu::options{},
                                [&](fugu::error_code ec, fugu::store s) {
                                    REQUIRE_FALSE(ec);
                                    store = std::move(s);
                                    done = true;
                                });
        while (!done) ctx.run_one();
        shared = std::make_unique<shared_state>(store, "fsync");
    }
    ~fixture() {
        shared.reset();
        bool done = false;
        store.async_close([&](fugu::error_code) { done = true; });
        while (!done) ctx.run_one();
    }

    // Runs `task` (a function returning an awaitable) to its end.
    template <class Task>
    void run(Task task) {
        bool done = false;
        std::exception_ptr failure;
        asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e) {
            failure = e;
            done = true;
        });
        while (!done) ctx.run_one();
        if (failure) std::rethrow_exception(failure);
    }

    // Executes `reqs` as one pipelined batch on `s` and returns the replies.
    std::string call(session& s, const requests_t& reqs, bool* keep = nullptr) {
        std::vector<std::string_view> flat;
        for (auto& r : reqs) flat.insert(flat.end(), r.begin(), r.end());
        std::vector<request> spans;
        std::size_t at = 0;
        for (auto& r : reqs) {
            spans.emplace_back(flat.data() + at, r.size());
            at += r.size();
        }
        std::string out;
        bool k = true;
        run([&]() -> asio::awaitable<void> { k = co_await s.execute(spans, out); });
        if (keep) *keep = k;
        return out;
    }

    std::string one(session& s, std::vector<std::string> r) {
        requests_t reqs{std::move(r)};
        return call(s, reqs);
    }
};

std::string bulk(std::string_view v) { return "$" + std::to_string(v.size()) + "\r\n" + std::string(v) + "\r\n"; }

}  // namespace

TEST_CASE("PING, ECHO, SET, GET, DEL, EXISTS", "[server-resp]") {
    fixture f;
    {
        session s(*f.shared);
        CHECK(f.one(s, {"PING"}) == "+PONG\r\n");
        CHECK(f.one(s, {"ping", "hi"}) == bulk("hi"));
        CHECK(f.one(s, {"ECHO", std::string("a\0b", 3)}) == bulk(std::string("a\0b", 3)));
        CHECK(f.one(s, {"GET", "k"}) == "$-1\r\n");
        CHECK(f.one(s, {"SET", "k", "v"}) == "+OK\r\n");
        CHECK(f.one(s, {"get", "k"}) == bulk("v"));
        CHECK(f.one(s, {"SET", "e", ""}) == "+OK\r\n");
        CHECK(f.one(s, {"GET", "e"}) == bulk(""));
        CHECK(f.one(s, {"EXISTS", "k", "e", "nope", "k"}) == ":3\r\n");
        CHECK(f.one(s, {"DEL", "k", "nope", "k"}) == ":1\r\n");
        CHECK(f.one(s, {"GET", "k"}) == "$-1\r\n");
        CHECK(f.one(s, {"DBSIZE"}) == ":1\r\n");
    }
}

TEST_CASE("SET NX, XX and GET; unsupported options are refused", "[server-resp]") {
    fixture f;
    {
        session s(*f.shared);
        CHECK(f.one(s, {"SET", "k", "1", "XX"}) == "$-1\r\n");
        CHECK(f.one(s, {"SET", "k", "1", "NX"}) == "+OK\r\n");
        CHECK(f.one(s, {"SET", "k", "2", "NX"}) == "$-1\r\n");
        CHECK(f.one(s, {"SET", "k", "3", "XX", "GET"}) == bulk("1"));
        CHECK(f.one(s, {"GET", "k"}) == bulk("3"));
        CHECK((f.one(s, {"SET", "k", "3", "EX", "10"})).starts_with("-ERR"));
        CHECK((f.one(s, {"SET", "k", "3", "NX", "XX"})).starts_with("-ERR syntax"));
        CHECK((f.one(s, {"SET", std::string(fugu::max_key_size + 1, 'k'), "v"}))
                  .starts_with("-ERR key is too large"));
    }
}

TEST_CASE("MSET, MGET, GETDEL", "[server-resp]") {
    fixture f;
    {
        session s(*f.shared);
        CHECK(f.one(s, {"MSET", "a", "1", "b", "2", "a", "3"}) == "+OK\r\n");
        CHECK(f.one(s, {"MGET", "a", "b", "c"}) == "*3\r\n" + bulk("3") + bulk("2") + "$-1\r\n");
        CHECK((f.one(s, {"MSET", "a", "1", "b"})).starts_with("-ERR wrong number"));
        CHECK(f.one(s, {"GETDEL", "a"}) == bulk("3"));
        CHECK(f.one(s, {"GETDEL", "a"}) == "$-1\r\n");
        CHECK(f.one(s, {"EXISTS", "a"}) == ":0\r\n");
    }
}

TEST_CASE("INCR and DECR check their values and overflow", "[server-resp]") {
    fixture f;
    {
        session s(*f.shared);
        CHECK(f.one(s, {"INCR", "n"}) == ":1\r\n");
        CHECK(f.one(s, {"INCRBY", "n", "41"}) == ":42\r\n");
        CHECK(f.one(s, {"DECR", "n"}) == ":41\r\n");
        CHECK(f.one(s, {"DECRBY", "n", "50"}) == ":-9\r\n");
        CHECK(f.one(s, {"GET", "n"}) == bulk("-9"));
        CHECK(f.one(s, {"SET", "x", "abc"}) == "+OK\r\n");
        CHECK((f.one(s, {"INCR", "x"})).starts_with("-ERR value is not an integer"));
        CHECK(f.one(s, {"SET", "x", "9223372036854775807"}) == "+OK\r\n");
        CHECK((f.one(s, {"INCR", "x"})).starts_with("-ERR increment or decrement would overflow"));
        CHECK(f.one(s, {"SET", "x", " 1"}) == "+OK\r\n");
        CHECK((f.one(s, {"INCR", "x"})).starts_with("-ERR value is not an integer"));
    }
}

TEST_CASE("A pipeline reads its own writes and is saved as one change set", "[server-resp]") {
    fixture f;
    {
        session s(*f.shared);
        const auto saves_before = f.store.stats().saves;
        requests_t reqs{{"SET", "a", "1"}, {"INCR", "a"}, {"GET", "a"}, {"DEL", "a"},
                        {"EXISTS", "a"}, {"SET", "b", "x"}, {"DBSIZE"}, {"KEYS", "*"}};
        CHECK(f.call(s, reqs) ==
              "+OK\r\n:2\r\n" + bulk("2") + ":1\r\n:0\r\n+OK\r\n:1\r\n*1\r\n" + bulk("b"));
        CHECK(f.store.stats().saves == saves_before + 1);
    }
}

TEST_CASE("KEYS and SCAN walk keys in order with MATCH and COUNT", "[server-resp]") {
    fixture f;
    {
        session s(*f.shared);
        requests_t fill;
        for (int i = 0; i < 50; ++i) {
            char k[16];
            std::snprintf(k, sizeof k, "key:%02d", i);
            fill.push_back({"SET", k, "v"});
        }
        fill.push_back({"SET", "other", "v"});
        f.call(s, fill);
        CHECK(f.one(s, {"KEYS", "key:4?"}) ==
              "*10\r\n" + [] {
                  std::string r;
                  for (int i = 40; i < 50; ++i) r += bulk("key:" + std::to_string(i));
                  return r;
              }());
        CHECK(f.one(s, {"KEYS", "o*"}) == "*1\r\n" + bulk("other"));

        // Walk with COUNT 7 and a pattern: every matching key exactly once, in order.
        std::string cursor = "0";
        std::vector<std::string> seen;
        int calls = 0;
        do {
            std::string reply = f.one(s, {"SCAN", cursor, "MATCH", "key:*", "COUNT", "7"});
            REQUIRE(reply.starts_with("*2\r\n$"));
            std::size_t p = reply.find("\r\n", 4) + 2;
            std::size_t e = reply.find("\r\n", p);
            cursor = reply.substr(p, e - p);
            p = e + 2;
            REQUIRE(reply[p] == '*');
            std::size_t n = std::stoul(reply.substr(p + 1));
            p = reply.find("\r\n", p) + 2;
            for (std::size_t i = 0; i < n; ++i) {
                std::size_t len = std::stoul(reply.substr(p + 1));
                p = reply.find("\r\n", p) + 2;
                seen.push_back(reply.substr(p, len));
                p += len + 2;
            }
            ++calls;
        } while (cursor != "0" && calls < 100);
        REQUIRE(seen.size() == 50);
        for (int i = 0; i < 50; ++i) {
            char k[16];
            std::snprintf(k, sizeof k, "key:%02d", i);
            CHECK(seen[i] == k);
        }
        CHECK(calls >= 8);
        CHECK((f.one(s, {"SCAN", "12345678"})).starts_with("-ERR invalid cursor"));
        CHECK((f.one(s, {"SCAN", "0", "COUNT", "0"})).starts_with("-ERR syntax"));
        // Every value is a string: a walk for hashes finds nothing (but still walks).
        CHECK(f.one(s, {"SCAN", "0", "TYPE", "hash"}).ends_with("*0\r\n"));
    }
}

TEST_CASE("MULTI/EXEC applies the queued writes together; errors abort; DISCARD drops",
          "[server-resp]") {
    fixture f;
    {
        session s(*f.shared);
        requests_t tx{{"MULTI"}, {"SET", "a", "1"}, {"INCR", "a"}, {"GET", "a"}, {"EXEC"}};
        CHECK(f.call(s, tx) ==
              "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n:2\r\n" + bulk("2"));
        requests_t bad{{"MULTI"}, {"SET", "b", "1"}, {"NOSUCH"}, {"EXEC"}, {"EXISTS", "b"}};
        std::string r = f.call(s, bad);
        CHECK(r.starts_with("+OK\r\n+QUEUED\r\n-ERR unknown command 'NOSUCH'"));
        CHECK(r.ends_with("-EXECABORT Transaction discarded because of previous errors.\r\n:0\r\n"));
        requests_t drop{{"MULTI"}, {"SET", "c", "1"}, {"DISCARD"}, {"EXISTS", "c"}};
        CHECK(f.call(s, drop) == "+OK\r\n+QUEUED\r\n+OK\r\n:0\r\n");
        CHECK((f.one(s, {"EXEC"})).starts_with("-ERR EXEC without MULTI"));
        CHECK((f.one(s, {"DISCARD"})).starts_with("-ERR DISCARD without MULTI"));
        requests_t nested{{"MULTI"}, {"MULTI"}, {"DISCARD"}};
        CHECK((f.call(s, nested)).starts_with("+OK\r\n-ERR MULTI calls can not be nested"));
    }
}

TEST_CASE("Unknown commands and wrong arity get errors; QUIT ends the batch", "[server-resp]") {
    fixture f;
    {
        session s(*f.shared);
        CHECK((f.one(s, {"FLY", "away"})).starts_with("-ERR unknown command 'FLY'"));
        CHECK((f.one(s, {"GET"})).starts_with("-ERR wrong number of arguments for 'GET'"));
        CHECK((f.one(s, {"GET", "a", "b"})).starts_with("-ERR wrong number"));
        bool keep = true;
        requests_t q{{"PING"}, {"QUIT"}, {"PING"}};
        CHECK(f.call(s, q, &keep) == "+PONG\r\n+OK\r\n");
        CHECK_FALSE(keep);
        std::string info = f.one(s, {"INFO"});
        CHECK(info.find("# Fugu") != std::string::npos);
        CHECK(info.find("durability:fsync") != std::string::npos);
    }
}

TEST_CASE("INCR from many sessions at once loses no increment", "[server-resp]") {
    fixture f;
    constexpr int workers = 8, each = 25;
    int done = 0;
    for (int w = 0; w < workers; ++w) {
        auto worker = [&f, &done]() -> asio::awaitable<void> {
            session s(*f.shared);
            for (int i = 0; i < each; ++i) {
                std::vector<std::string_view> args{"INCR", "counter", "SET", "side", "x"};
                std::vector<request> reqs{request(args.data(), 2), request(args.data() + 2, 3)};
                std::string out;
                co_await s.execute(reqs, out);
            }
            ++done;
        };
        asio::co_spawn(f.ctx, std::move(worker), asio::detached);
    }
    while (done < workers) f.ctx.run_one();
    session s(*f.shared);
    CHECK(f.one(s, {"GET", "counter"}) == bulk(std::to_string(workers * each)));
    CHECK(f.shared->locks.held() == 0);
}
