// SPDX-License-Identifier: MIT
// The first Fugu program to read: open a store in a directory, save a change set
// atomically, take a snapshot, read from it, list keys, close.
//
//   fugu-quickstart [directory]      (default: ./quickstart-data)
#include <fugu/fugu.hpp>

#include <boost/asio.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace asio = boost::asio;

asio::awaitable<void> run(std::string directory) {
    // The store's actors run on the executor of the coroutine that opens it.
    auto ex = co_await asio::this_coro::executor;

    fugu::options opts;  // durability::fsync: a completed save survives power loss
    fugu::store store = co_await fugu::store::async_open(ex, directory, opts, asio::use_awaitable);
    std::printf("opened %s (I/O engine: %s)\n", directory.c_str(), store.stats().io_engine.c_str());

    // A change set is applied atomically: all of it becomes visible, or none of it.
    fugu::change_set changes;
    changes.put("apple", "red");
    changes.put("banana", "yellow");
    changes.put("cherry", "dark red");
    changes.remove("durian");  // removing an absent key is fine
    std::uint64_t seq = co_await store.async_save(std::move(changes), asio::use_awaitable);
    std::printf("saved change set %llu\n", static_cast<unsigned long long>(seq));

    // Reads go through a snapshot: a consistent view that later saves do not disturb.
    fugu::snapshot snap = co_await store.async_snapshot(asio::use_awaitable);

    fugu::change_set more;
    more.put("banana", "green");
    co_await store.async_save(std::move(more), asio::use_awaitable);

    std::optional<std::string> banana = co_await snap.async_read("banana", asio::use_awaitable);
    std::printf("banana in the snapshot: %s\n", banana ? banana->c_str() : "(absent)");
    std::printf("banana now: %s\n",
                (co_await store.async_get("banana", asio::use_awaitable)).value_or("(absent)").c_str());

    std::printf("keys from \"b\":");
    for (std::string_view key : snap.keys_from("b")) std::printf(" %.*s", int(key.size()), key.data());
    std::printf("\n");

    fugu::store_stats stats = store.stats();
    std::printf("%llu keys, %llu bytes on disk in %zu slab(s)\n",
                static_cast<unsigned long long>(stats.keys),
                static_cast<unsigned long long>(stats.disk_bytes), stats.segments.size());

    // Close waits for pending saves and releases the directory's lock.
    co_await store.async_close(asio::use_awaitable);
    std::printf("closed\n");
}

int main(int argc, char** argv) {
    std::string directory = argc > 1 ? argv[1] : "quickstart-data";
    asio::io_context ctx;
    int status = 0;
    asio::co_spawn(ctx, run(directory), [&](std::exception_ptr e) {
        if (!e) return;
        status = 1;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            std::fprintf(stderr, "fugu-quickstart: %s\n", ex.what());
        }
    });
    ctx.run();
    return status;
}
