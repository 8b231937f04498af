// SPDX-License-Identifier: MIT
// file_storage on a real directory, once per I/O engine: slab lifecycle, strict names,
// refusal of links and FIFOs, permissions, and the errors lock() gives for bad places.
#include "storage/slab_await.hpp"
#include "storage/storage_test_util.hpp"
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"

#include <fugu/file_storage.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using fugu::test::to_bytes;
using fugu::test::to_text;

const std::string slab1 = "slab-0000000000000001.fugu";
const std::string slab2 = "slab-0000000000000002.fugu";
const std::string slab2_tmp = "slab-0000000000000002.fugu.tmp";

std::vector<fugu::slab_entry> listed(fugu::file_storage& st) {
    auto r = st.list();
    REQUIRE(r.has_value());
    return *r;
}

bool has(const std::vector<fugu::slab_entry>& v, std::uint64_t id, bool temporary) {
    return std::any_of(v.begin(), v.end(), [&](const fugu::slab_entry& e) {
        return e.id == id && e.temporary == temporary;
    });
}

asio::awaitable<std::string> read_text(fugu::slab& s, std::uint64_t offset, std::size_t n) {
    std::vector<std::byte> buf(n);
    auto r = co_await fugu::test::read_at(s, offset, buf);
    REQUIRE_FALSE(r.ec);
    buf.resize(r.bytes);
    co_return to_text(buf);
}

asio::awaitable<void> lifecycle(fugu::file_storage& st, fs::path dir) {
    auto created = st.create(1, false);
    REQUIRE(created.has_value());
    auto s = *created;
    CHECK(s->id() == 1);
    CHECK(s->size() == 0);
    CHECK(s->name() == (dir / slab1).string());

    const auto hello = to_bytes("hello, ");
    const auto world = to_bytes("world");
    auto ec = co_await fugu::test::write_at(*s, 0, hello, true);
    REQUIRE_FALSE(ec);
    ec = co_await fugu::test::write_at(*s, hello.size(), world, false);
    REQUIRE_FALSE(ec);
    ec = co_await fugu::test::sync_slab(*s);
    REQUIRE_FALSE(ec);
    CHECK(s->size() == 12);
    auto text = co_await read_text(*s, 0, 64);
    CHECK(text == "hello, world");
    text = co_await read_text(*s, 7, 3);
    CHECK(text == "wor");
    text = co_await read_text(*s, 12, 8);  // at the end: zero bytes, no error
    CHECK(text == "");
    CHECK(fugu::test::read_whole_file(dir / slab1) == "hello, world");

    // A second handle sees the size on disk.
    auto again = st.open(1);
    REQUIRE(again.has_value());
    CHECK((*again)->size() == 12);
    text = co_await read_text(**again, 0, 5);
    CHECK(text == "hello");

    // A temporary slab has its own name until published.
    auto tmp = st.create(2, true);
    REQUIRE(tmp.has_value());
    ec = co_await fugu::test::write_at(**tmp, 0, world, true);
    REQUIRE_FALSE(ec);
    CHECK(fs::exists(dir / slab2_tmp));
    auto before = listed(st);
    CHECK(has(before, 1, false));
    CHECK(has(before, 2, true));
    CHECK_FALSE(st.open(2).has_value());  // only permanent slabs open

    REQUIRE_FALSE(st.publish(2));
    CHECK_FALSE(fs::exists(dir / slab2_tmp));
    CHECK(fugu::test::read_whole_file(dir / slab2) == "world");
    auto after = listed(st);
    CHECK(after.size() == 2);
    CHECK(has(after, 2, false));

    REQUIRE_FALSE(st.remove(1, false));
    CHECK_FALSE(fs::exists(dir / slab1));
    CHECK_FALSE(has(listed(st), 1, false));
    auto gone = st.open(1);
    REQUIRE_FALSE(gone.has_value());
    CHECK(gone.error() == boost::system::errc::no_such_file_or_directory);
    // Handles opened before the removal still read the data.
    text = co_await read_text(*s, 0, 5);
    CHECK(text == "hello");
}

}  // namespace

TEST_CASE("slabs are created, written, read, listed, published and removed", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    const fs::path dir = tmp / "store";
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), dir.string(), fugu::test::engine_options());
    CHECK_FALSE(fs::exists(dir));  // nothing happens before lock()
    REQUIRE_FALSE(st.lock());
    CHECK(fs::is_directory(dir));
    CHECK(fs::is_regular_file(dir / "LOCK"));
    CHECK(st.location() == dir.string());
    CHECK(st.slab_path(7, true) == (dir / "slab-0000000000000007.fugu.tmp").string());
    fugu::test::run_coro(ctx, lifecycle(st, dir));
}

TEST_CASE("the engine in use is the one the test run asks for", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    switch (fugu::test::test_engine()) {
        case fugu::io_engine::threads:
            CHECK(st.engine_name() == "threads");
            CHECK_FALSE(st.engine_note().empty());
            break;
        case fugu::io_engine::io_uring:
            CHECK(st.engine_name() == "io_uring");
            CHECK(st.engine_note().empty());
            break;
        case fugu::io_engine::automatic:
            CHECK((st.engine_name() == "io_uring") == st.engine_note().empty());
            break;
    }
}

TEST_CASE("creating a slab that exists fails and leaves it intact", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    REQUIRE_FALSE(st.lock());
    fugu::test::write_whole_file(tmp / slab1, "precious");
    auto r = st.create(1, false);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == boost::system::errc::file_exists);
    CHECK(st.last_diagnostics().file() == (tmp / slab1).string());
    CHECK(fugu::test::read_whole_file(tmp / slab1) == "precious");
}

TEST_CASE("slab names are parsed strictly and other files are ignored and kept",
          "[storage][engine]") {
    fugu::test::temp_dir tmp;
    const std::vector<std::string> odd = {
        "slab-000000000000000A.fugu",       // upper case
        "slab-1.fugu",                      // short
        "slab-00000000000000001.fugu",      // 17 digits
        "slab-0000000000000001.fugu.bak",   // other suffix
        "slab-0000000000000001.fugu.tmp~",  // editor backup
        "README",
    };
    for (const auto& name : odd) fugu::test::write_whole_file(tmp / name, name);
    fugu::test::write_whole_file(tmp / slab1, "");
    fugu::test::write_whole_file(tmp / slab2_tmp, "");

    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    REQUIRE_FALSE(st.lock());  // a slab is present, so this is a store
    const auto slabs = listed(st);
    REQUIRE(slabs.size() == 2);
    CHECK(slabs[0].id == 1);
    CHECK_FALSE(slabs[0].temporary);
    CHECK(slabs[1].id == 2);
    CHECK(slabs[1].temporary);
    CHECK(st.unknown_files() == odd.size());
    for (const auto& name : odd) CHECK(fugu::test::read_whole_file(tmp / name) == name);
}

TEST_CASE("a symlink named like a slab is refused and its target untouched", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    const fs::path dir = tmp / "store";
    const fs::path target = tmp / "target";
    fugu::test::write_whole_file(target, "not yours");
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), dir.string(), fugu::test::engine_options());
    REQUIRE_FALSE(st.lock());
    fs::create_symlink(target, dir / slab1);

    auto l = st.list();
    REQUIRE_FALSE(l.has_value());
    CHECK(l.error() == fugu::errc::corruption);
    const auto diag = st.last_diagnostics();
    CHECK(diag.file() == (dir / slab1).string());
    CHECK_THAT(diag.message(), Catch::Contains("symbolic link"));

    auto o = st.open(1);
    REQUIRE_FALSE(o.has_value());
    CHECK(o.error() == fugu::errc::corruption);
    auto c = st.create(1, false);  // O_EXCL never writes through the link
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error() == boost::system::errc::file_exists);

    CHECK(fugu::test::read_whole_file(target) == "not yours");
    CHECK(fs::is_symlink(dir / slab1));
}

TEST_CASE("a FIFO named like a slab fails list and open without hanging", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    REQUIRE_FALSE(st.lock());
    REQUIRE(::mkfifo((tmp / slab1).c_str(), 0600) == 0);

    auto l = st.list();
    REQUIRE_FALSE(l.has_value());
    CHECK(l.error() == fugu::errc::corruption);
    CHECK_THAT(st.last_diagnostics().message(), Catch::Contains("FIFO"));
    auto o = st.open(1);
    REQUIRE_FALSE(o.has_value());
    CHECK(o.error() == fugu::errc::corruption);
}

TEST_CASE("files and the directory get the configured modes under umask 022", "[storage][engine]") {
    fugu::test::umask_scope mask(022);
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    {
        const fs::path dir = tmp / "default";
        fugu::file_storage st(ctx.get_executor(), dir.string(), fugu::test::engine_options());
        REQUIRE_FALSE(st.lock());
        REQUIRE(st.create(1, false).has_value());
        REQUIRE(st.create(2, true).has_value());
        CHECK(fugu::test::permission_bits(dir) == 0700);
        CHECK(fugu::test::permission_bits(dir / "LOCK") == 0600);
        CHECK(fugu::test::permission_bits(dir / slab1) == 0600);
        CHECK(fugu::test::permission_bits(dir / slab2_tmp) == 0600);
    }
    {
        const fs::path dir = tmp / "shared";
        auto opts = fugu::test::engine_options();
        opts.file_mode = 0666;
        opts.directory_mode = 0777;
        fugu::file_storage st(ctx.get_executor(), dir.string(), opts);
        REQUIRE_FALSE(st.lock());
        REQUIRE(st.create(1, false).has_value());
        CHECK(fugu::test::permission_bits(dir) == 0755);  // the umask still applies
        CHECK(fugu::test::permission_bits(dir / "LOCK") == 0644);
        CHECK(fugu::test::permission_bits(dir / slab1) == 0644);
    }
}

TEST_CASE("an existing directory keeps its mode", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    const fs::path dir = tmp / "mine";
    REQUIRE(::mkdir(dir.c_str(), 0750) == 0);
    REQUIRE(::chmod(dir.c_str(), 0750) == 0);
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), dir.string(), fugu::test::engine_options());
    REQUIRE_FALSE(st.lock());
    CHECK(fugu::test::permission_bits(dir) == 0750);
}

TEST_CASE("a missing directory without create_if_missing is store_not_found", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    const fs::path dir = tmp / "absent";
    auto opts = fugu::test::engine_options();
    opts.create_if_missing = false;
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), dir.string(), opts);
    CHECK(st.lock() == fugu::errc::store_not_found);
    CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("only the last component of a missing path is created", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), (tmp / "a" / "b").string(),
                          fugu::test::engine_options());
    CHECK(st.lock() == boost::system::errc::no_such_file_or_directory);
    CHECK_FALSE(fs::exists(tmp / "a"));
}

TEST_CASE("a path that is a regular file gives ENOTDIR", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    const fs::path file = tmp / "file";
    fugu::test::write_whole_file(file, "data");
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), file.string(), fugu::test::engine_options());
    CHECK(st.lock() == boost::system::errc::not_a_directory);
    CHECK(fugu::test::read_whole_file(file) == "data");
}

TEST_CASE("a directory of other files is not a store and stays unchanged", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    fugu::test::write_whole_file(tmp / "thesis.tex", "chapter 1");
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    CHECK(st.lock() == fugu::errc::not_a_store);
    CHECK_THAT(st.last_diagnostics().message(), Catch::Contains("thesis.tex"));
    CHECK_FALSE(fs::exists(tmp / "LOCK"));
    CHECK(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("an empty directory, or one with only lost+found, becomes a store", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    {
        fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
        REQUIRE_FALSE(st.lock());
    }
    const fs::path mount = tmp / "mount";
    fs::create_directories(mount / "lost+found");
    fugu::file_storage st(ctx.get_executor(), mount.string(), fugu::test::engine_options());
    REQUIRE_FALSE(st.lock());
    CHECK(fs::exists(mount / "LOCK"));
    CHECK(listed(st).empty());
    CHECK(st.unknown_files() == 1);  // lost+found is not ours either
}

TEST_CASE("a store holding only its LOCK is still a store", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    {
        fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
        REQUIRE_FALSE(st.lock());
    }
    fugu::test::write_whole_file(tmp / "notes.txt", "mine");
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    CHECK_FALSE(st.lock());
}

TEST_CASE("a second handle in the same process gets store_locked until the first unlocks",
          "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    auto first = std::make_unique<fugu::file_storage>(ctx.get_executor(), tmp.str(),
                                                      fugu::test::engine_options());
    fugu::file_storage second(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    REQUIRE_FALSE(first->lock());
    CHECK(second.lock() == fugu::errc::store_locked);
    CHECK(first->lock() == fugu::errc::store_locked);  // already held by this very handle
    first->unlock();
    REQUIRE_FALSE(second.lock());
    second.unlock();
    REQUIRE_FALSE(first->lock());
    first.reset();  // the destructor releases it
    CHECK_FALSE(second.lock());
    CHECK(fs::exists(tmp / "LOCK"));  // released, never deleted
}

TEST_CASE("metadata calls without the lock are store_closed", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    CHECK(st.list().error() == fugu::errc::store_closed);
    CHECK(st.create(1, false).error() == fugu::errc::store_closed);
    REQUIRE_FALSE(st.lock());
    REQUIRE(st.create(1, false).has_value());
    st.unlock();
    CHECK(st.open(1).error() == fugu::errc::store_closed);
    CHECK(st.publish(1) == fugu::errc::store_closed);
    CHECK(st.remove(1, false) == fugu::errc::store_closed);
}

TEST_CASE("requesting io_uring where it cannot be used fails lock before touching the disk",
          "[storage][engine]") {
    fugu::test::temp_dir tmp;
    const fs::path dir = tmp / "store";
    ::setenv("FUGU_DISABLE_IO_URING", "1", 1);
    asio::io_context ctx;
    fugu::options opts;
    opts.io_engine = fugu::io_engine::io_uring;
    fugu::file_storage st(ctx.get_executor(), dir.string(), opts);
    ::unsetenv("FUGU_DISABLE_IO_URING");
    CHECK(st.engine_name().empty());
    CHECK_FALSE(st.engine_note().empty());
    CHECK(st.lock() == fugu::errc::io_engine_unavailable);
    CHECK_FALSE(fs::exists(dir));
}

namespace {

asio::awaitable<void> truncate_and_reopen(fugu::file_storage& st) {
    auto s = st.create(3, false);
    REQUIRE(s.has_value());
    const auto data = to_bytes("0123456789");
    auto ec = co_await fugu::test::write_at(**s, 0, data, true);
    REQUIRE_FALSE(ec);
    REQUIRE_FALSE((*s)->truncate(4));
    CHECK((*s)->size() == 4);
    auto o = st.open(3);
    REQUIRE(o.has_value());
    CHECK((*o)->size() == 4);
    auto text = co_await read_text(**o, 0, 10);
    CHECK(text == "0123");
}

// Writes whose handles are all dropped before they complete: each operation must keep
// the slab (and its descriptor) alive until its handler has run.
asio::awaitable<void> writes_outlive_handles(fugu::file_storage& st) {
    constexpr int count = 32;
    std::vector<std::byte> block(512);
    std::vector<fugu::error_code> results(count, make_error_code(fugu::errc::store_closed));
    {
        auto s = st.create(4, false);
        REQUIRE(s.has_value());
        for (int i = 0; i < count; ++i) {
            (*s)->async_write(static_cast<std::uint64_t>(i) * block.size(), block, i == count - 1,
                              [&results, i](fugu::error_code ec) { results[i] = ec; });
        }
    }
    auto ex = co_await asio::this_coro::executor;
    // Yield until every handler ran; each round trip lets completions arrive.
    while (std::any_of(results.begin(), results.end(),
                       [](const fugu::error_code& ec) { return ec == fugu::errc::store_closed; })) {
        co_await asio::post(ex, asio::use_awaitable);
    }
    for (const auto& ec : results) CHECK_FALSE(ec);
    auto o = st.open(4);
    REQUIRE(o.has_value());
    CHECK((*o)->size() == count * block.size());
}

}  // namespace

TEST_CASE("truncate cuts a slab durably and the size follows the file", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    REQUIRE_FALSE(st.lock());
    fugu::test::run_coro(ctx, truncate_and_reopen(st));
}

TEST_CASE("in-flight writes keep their slab open after every handle is gone", "[storage][engine]") {
    fugu::test::temp_dir tmp;
    asio::io_context ctx;
    fugu::file_storage st(ctx.get_executor(), tmp.str(), fugu::test::engine_options());
    REQUIRE_FALSE(st.lock());
    fugu::test::run_coro(ctx, writes_outlive_handles(st));
}
