// SPDX-License-Identifier: MIT
// fugu_lock_probe: a second process for the lock tests. It opens a file_storage on a
// directory and reports through its exit status what lock() said; in "hold" mode it
// keeps the lock until its standard input closes, and in "wait" mode it only waits, so
// a test can look at which descriptors an exec'd child inherited.
//
//   fugu_lock_probe lock <dir>          exit with the code for lock()'s result
//   fugu_lock_probe lock-as <uid> <dir> drop to uid/gid <uid> first, then as "lock"
//   fugu_lock_probe hold <dir>          lock, print "ready", wait for EOF on stdin
//   fugu_lock_probe wait                print "ready", wait for EOF on stdin
//   fugu_lock_probe open <dir>          exit with the code for store::async_open's result
//   fugu_lock_probe hold-open <dir>     open a store, save one change set, print "ready",
//                                       wait for EOF on stdin, close
#include "lock_probe_codes.hpp"

#include <fugu/file_storage.hpp>
#include <fugu/store.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <grp.h>
#include <unistd.h>

namespace {

using namespace fugu::test::lock_probe;

int code_for(const fugu::error_code& ec) {
    if (!ec) return exit_locked;
    if (ec == fugu::errc::store_locked) return exit_store_locked;
    if (ec == boost::system::errc::permission_denied) return exit_permission_denied;
    std::fprintf(stderr, "lock failed: %s\n", ec.message().c_str());
    return exit_other_error;
}

void wait_for_eof() {
    std::puts("ready");
    std::fflush(stdout);
    char c;
    while (::read(STDIN_FILENO, &c, 1) > 0) {
    }
}

int try_lock(const std::string& dir, bool hold) {
    boost::asio::io_context ctx;
    fugu::options opts;
    opts.io_engine = fugu::io_engine::threads;  // the lock does not depend on the engine
    fugu::file_storage storage(ctx.get_executor(), dir, opts);
    const int code = code_for(storage.lock());
    if (hold && code == exit_locked) wait_for_eof();
    return code;
}

// The same through a whole store: the lock a store takes on open is the one that counts.
int open_store(const std::string& dir, bool hold) {
    namespace asio = boost::asio;
    asio::io_context ctx;
    int code = exit_other_error;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        fugu::options opts;
        opts.io_engine = fugu::io_engine::threads;
        opts.durability = fugu::durability::os_buffered;
        auto ex = co_await asio::this_coro::executor;
        auto [ec, st] = co_await fugu::store::async_open(ex, dir, opts, asio::as_tuple(asio::use_awaitable));
        code = code_for(ec);
        if (ec) co_return;
        if (hold) {
            fugu::change_set c;
            c.put("held", "by the probe");
            co_await st.async_save(std::move(c), asio::use_awaitable);
            wait_for_eof();  // blocks this thread: the store stays open meanwhile
        }
        co_await st.async_close(asio::use_awaitable);
    }, asio::detached);
    ctx.run();
    return code;
}

bool drop_privileges(unsigned id) {
    const auto gid = static_cast<gid_t>(id);
    const auto uid = static_cast<uid_t>(id);
    return ::setgroups(0, nullptr) == 0 && ::setresgid(gid, gid, gid) == 0 &&
           ::setresuid(uid, uid, uid) == 0;
}

}  // namespace

int main(int argc, char* argv[]) {
    const std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "lock" && argc == 3) return try_lock(argv[2], false);
    if (mode == "hold" && argc == 3) return try_lock(argv[2], true);
    if (mode == "open" && argc == 3) return open_store(argv[2], false);
    if (mode == "hold-open" && argc == 3) return open_store(argv[2], true);
    if (mode == "wait" && argc == 2) {
        wait_for_eof();
        return 0;
    }
    if (mode == "lock-as" && argc == 4) {
        if (!drop_privileges(static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10)))) {
            std::perror("dropping privileges");
            return exit_cannot_drop_privileges;
        }
        return try_lock(argv[3], false);
    }
    std::fprintf(stderr, "usage: fugu_lock_probe lock|hold|open|hold-open <dir> | lock-as <uid> <dir> | wait\n");
    return exit_usage;
}
