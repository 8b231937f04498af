// SPDX-License-Identifier: MIT
// The store lock across processes: another process is refused, a killed holder frees it
// at once, exec'd children inherit nothing, and an unwritable directory gives EACCES.
// The second process is fugu_lock_probe (lock_probe.cpp), built beside this test.
#include "storage/child_process.hpp"
#include "storage/lock_probe_codes.hpp"
#include "storage/lock_probe_path.hpp"
#include "storage/storage_test_util.hpp"
#include "support/temp_dir.hpp"

#include <fugu/file_storage.hpp>

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace probe = fugu::test::lock_probe;

int run_probe(std::vector<std::string> args) {
    args.insert(args.begin(), FUGU_LOCK_PROBE_PATH);
    fugu::test::child_process child(std::move(args));
    child.close_stdin();
    return child.wait();
}

// Paths the child's descriptors point to, from /proc.
std::vector<std::string> open_paths(pid_t pid) {
    std::vector<std::string> paths;
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
        std::error_code ec;
        const auto target = fs::read_symlink(fd.path(), ec);
        if (!ec) paths.push_back(target.string());
    }
    return paths;
}

}  // namespace

TEST_CASE("another process gets store_locked while the store is locked", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    REQUIRE_FALSE(st.lock());
    CHECK(run_probe({"lock", tmp.str()}) == probe::exit_store_locked);
    st.unlock();
    CHECK(run_probe({"lock", tmp.str()}) == probe::exit_locked);
}

TEST_CASE("the lock is free as soon as its holder is killed", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    fugu::test::child_process holder({FUGU_LOCK_PROBE_PATH, "hold", tmp.str()});
    REQUIRE(holder.read_line() == "ready");

    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    CHECK(st.lock() == fugu::errc::store_locked);
    holder.kill(SIGKILL);
    CHECK(holder.wait() == 128 + SIGKILL);
    CHECK_FALSE(st.lock());  // no stale-lock cleanup, no waiting
    CHECK(fs::exists(tmp / "LOCK"));
}

TEST_CASE("a child exec'd while the store is locked inherits neither the lock nor the directory",
          "[storage][engine]") {
    fugu::test::temp_dir tmp;
    const std::string dir = fs::canonical(tmp.path()).string();
    asio::io_context ctx;
    auto st =
        std::make_unique<fugu::file_storage>(ctx.get_executor(), dir, fugu::test::engine_options());
    REQUIRE_FALSE(st->lock());

    fugu::test::child_process child({FUGU_LOCK_PROBE_PATH, "wait"});
    REQUIRE(child.read_line() == "ready");
    for (const auto& path : open_paths(child.pid())) {
        INFO("the child holds " << path);
        CHECK(path.rfind(dir, 0) != 0);
    }
    // With the child still running, closing our handle must free the lock.
    st.reset();
    fugu::file_storage again(ctx.get_executor(), dir, fugu::test::engine_options());
    CHECK_FALSE(again.lock());
    child.close_stdin();
    CHECK(child.wait() == 0);
}

TEST_CASE("an unwritable directory gives EACCES", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    const fs::path dir = tmp / "read-only";
    REQUIRE(::mkdir(dir.c_str(), 0555) == 0);
    if (::geteuid() != 0) {
        asio::io_context ctx;
        fugu::file_storage st(ctx.get_executor(), dir.string(), fugu::test::engine_options());
        CHECK(st.lock() == boost::system::errc::permission_denied);
        CHECK_FALSE(fs::exists(dir / "LOCK"));
        return;
    }
    // Root ignores permission bits, so an unprivileged child (nobody) does the check. It
    // must be able to reach the directory: the temp dir is opened up for the test.
    REQUIRE(::chmod(tmp.path().c_str(), 0755) == 0);
    const int code = run_probe({"lock-as", "65534", dir.string()});
    if (code == probe::exit_cannot_drop_privileges) {
        WARN("skipped: cannot switch to uid 65534 here to test permission denial");
        return;
    }
    CHECK(code == probe::exit_permission_denied);
    CHECK_FALSE(fs::exists(dir / "LOCK"));
}
