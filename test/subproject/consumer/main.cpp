// SPDX-License-Identifier: MIT
// A program that consumes Fugu as a Meson subproject: opens a store in memory, saves one
// change set, reads it back.
#include <fugu/fugu.hpp>

#include <boost/asio.hpp>

#include <cstdio>

namespace asio = boost::asio;

asio::awaitable<int> run() {
    auto ex = co_await asio::this_coro::executor;
    auto storage = std::make_shared<fugu::memory_storage>();
    auto st = co_await fugu::store::async_open(ex, storage, fugu::options{}, asio::use_awaitable);
    fugu::change_set changes;
    changes.put("hello", "world");
    co_await st.async_save(std::move(changes), asio::use_awaitable);
    auto value = co_await st.async_get("hello", asio::use_awaitable);
    co_await st.async_close(asio::use_awaitable);
    co_return value && *value == "world" ? 0 : 1;
}

int main() {
    asio::io_context ctx;
    int rc = 2;
    asio::co_spawn(ctx, run(), [&](std::exception_ptr e, int r) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                std::fprintf(stderr, "consumer: %s\n", ex.what());
            }
        } else {
            rc = r;
        }
    });
    ctx.run();
    std::puts(rc == 0 ? "consumer: ok" : "consumer: FAILED");
    return rc;
}
