// SPDX-License-Identifier: MIT
// Opening a store directory after crashes and damage: torn tails are cut off silently,
// damage to synced bytes fails the open naming file and offset, foreign directories and
// unknown versions get their own errors, and a damaged value is never served.
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"
#include "support/test_engine.hpp"

#include "format/crc32c.hpp"
#include "format/slab_header.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using fugu::test::run_coro;

namespace {

fugu::options durable() {
    fugu::options o;
    o.io_engine = fugu::test::test_engine();
    o.durability = fugu::durability::fsync;
    return o;
}

std::vector<fs::path> slab_files(const fs::path& dir) {
    std::vector<fs::path> out;
    for (auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".fugu") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<char> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const fs::path& p, const std::vector<char>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

asio::awaitable<void> save_numbered(fugu::store& st, int from, int to, std::size_t value_size = 100) {
    for (int i = from; i < to; ++i) {
        fugu::change_set c;
        c.put("key" + std::to_string(i), std::string(value_size, static_cast<char>('a' + i % 26)));
        co_await st.async_save(std::move(c), asio::use_awaitable);
    }
}

// Opens the store in `db` durably, saves key<from>..key<to - 1> one change set each,
// and closes it.
void write_numbered(const std::string& db, int from, int to, std::size_t value_size = 100) {
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto st = co_await fugu::store::async_open(ex, db, durable(), asio::use_awaitable);
        co_await save_numbered(st, from, to, value_size);
        co_await st.async_close(asio::use_awaitable);
    });
}

asio::awaitable<std::pair<fugu::error_code, fugu::store>> try_open(const std::string& dir,
                                                                   fugu::options o,
                                                                   fugu::diagnostics& diag) {
    auto ex = co_await asio::this_coro::executor;
    auto [ec, st] = co_await fugu::store::async_open(ex, dir, o, diag, asio::as_tuple(asio::use_awaitable));
    co_return std::make_pair(ec, std::move(st));
}

}  // namespace

TEST_CASE("a torn tail of the newest slab is cut off and the slab reused", "[recovery][engine]") {
    fugu::test::temp_dir dir;
    const std::string db = (dir.path() / "db").string();
    std::uintmax_t clean_size = 0;
    write_numbered(db, 0, 10);
    auto files = slab_files(db);
    REQUIRE(files.size() == 1);
    clean_size = fs::file_size(files[0]);
    // Half of a record, as a crash in the middle of a write leaves it.
    {
        auto bytes = read_file(files[0]);
        write_numbered(db, 10, 11);
        auto longer = read_file(files[0]);
        REQUIRE(longer.size() > bytes.size());
        longer.resize(bytes.size() + (longer.size() - bytes.size()) / 2);
        write_file(files[0], longer);
    }
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db, durable(), diag);
        REQUIRE_FALSE(ec);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        CHECK(snap.size() == 10);
        CHECK_FALSE(snap.contains("key10"));
        CHECK(fs::file_size(files[0]) == clean_size);  // the tail is gone from disk too
        co_await save_numbered(st, 20, 21);
        co_await st.async_close(asio::use_awaitable);
        auto [ec2, again] = co_await try_open(db, durable(), diag);
        REQUIRE_FALSE(ec2);
        auto snap2 = co_await again.async_snapshot(asio::use_awaitable);
        CHECK(snap2.size() == 11);
        CHECK(snap2.contains("key20"));
        co_await again.async_close(asio::use_awaitable);
    });
}

TEST_CASE("damage in a sealed slab fails the open naming file and offset", "[recovery][engine]") {
    fugu::test::temp_dir dir;
    const std::string db = (dir.path() / "db").string();
    auto o = durable();
    o.base_slab_size = 64 << 10;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto st = co_await fugu::store::async_open(ex, db, o, asio::use_awaitable);
        co_await save_numbered(st, 0, 200, 1000);  // several slabs
        co_await st.async_close(asio::use_awaitable);
    });
    auto files = slab_files(db);
    REQUIRE(files.size() >= 2);
    auto bytes = read_file(files[0]);
    const std::size_t flip = bytes.size() / 2;
    bytes[flip] = static_cast<char>(bytes[flip] ^ 0x01);
    write_file(files[0], bytes);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db, o, diag);
        CHECK(ec == fugu::errc::corruption);
        CHECK_FALSE(st.is_open());
        CHECK(diag.file() == files[0].string());
        CHECK(diag.offset() <= flip);
        CHECK(diag.offset() + 1100 > flip);  // the record holding the flipped byte
        CHECK(diag.message().find(files[0].string()) != std::string::npos);
        // The lock was released: the next open gets the same error, not store_locked.
        auto [ec2, st2] = co_await try_open(db, o, diag);
        CHECK(ec2 == fugu::errc::corruption);
    });
}

TEST_CASE("damage to synced bytes of the newest slab is corruption, not a torn tail",
          "[recovery][engine]") {
    fugu::test::temp_dir dir;
    const std::string db = (dir.path() / "db").string();
    write_numbered(db, 0, 20);  // each save synced on its own
    auto files = slab_files(db);
    REQUIRE(files.size() == 1);
    auto bytes = read_file(files[0]);
    const std::size_t flip = 64 + 40 + 10;  // inside the first record's body
    bytes[flip] = static_cast<char>(bytes[flip] ^ 0x80);
    write_file(files[0], bytes);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db, durable(), diag);
        CHECK(ec == fugu::errc::corruption);
        CHECK(diag.file() == files[0].string());
        CHECK(diag.offset() == 64);
    });
}

TEST_CASE("a damaged value is reported on read, never returned", "[recovery][engine]") {
    fugu::test::temp_dir dir;
    const std::string db = (dir.path() / "db").string();
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto st = co_await fugu::store::async_open(ex, db, durable(), asio::use_awaitable);
        fugu::change_set c;
        c.put("victim", std::string(4000, 'v'));
        co_await st.async_save(std::move(c), asio::use_awaitable);
        auto file = slab_files(db).at(0);
        // Damage the value behind the open store's back.
        auto bytes = read_file(file);
        const auto at = bytes.size() - 2000;
        bytes[at] = static_cast<char>(bytes[at] ^ 0xff);
        write_file(file, bytes);
        fugu::diagnostics diag;
        auto [ec, v] = co_await st.async_get("victim", diag, asio::as_tuple(asio::use_awaitable));
        CHECK(ec == fugu::errc::corruption);
        CHECK_FALSE(v.has_value());
        CHECK(diag.file() == file.string());
        CHECK(diag.message().find("victim") == std::string::npos);  // no key bytes in messages
        co_await st.async_close(asio::use_awaitable);
    });
}

TEST_CASE("an unknown format version gets its own error", "[recovery][engine]") {
    fugu::test::temp_dir dir;
    const std::string db = (dir.path() / "db").string();
    write_numbered(db, 0, 3);
    auto file = slab_files(db).at(0);
    auto bytes = read_file(file);
    bytes[8] = 2;  // format_version 2, with a valid header CRC
    const std::uint32_t crc = fugu::detail::format::crc32c_mask(fugu::detail::format::crc32c(bytes.data(), 60));
    for (int i = 0; i < 4; ++i) bytes[60 + i] = static_cast<char>(crc >> (8 * i));
    write_file(file, bytes);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db, durable(), diag);
        CHECK(ec == fugu::errc::unknown_format_version);
        CHECK(diag.file() == file.string());
    });
}

TEST_CASE("a directory of other files is not a store; a missing one is not found", "[recovery][engine]") {
    fugu::test::temp_dir dir;
    fs::create_directory(dir.path() / "other");
    std::ofstream(dir.path() / "other" / "notes.txt") << "not a store";
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open((dir.path() / "other").string(), durable(), diag);
        CHECK(ec == fugu::errc::not_a_store);
        CHECK(fs::exists(dir.path() / "other" / "notes.txt"));
        auto o = durable();
        o.create_if_missing = false;
        auto [ec2, st2] = co_await try_open((dir.path() / "missing").string(), o, diag);
        CHECK(ec2 == fugu::errc::store_not_found);
        CHECK_FALSE(fs::exists(dir.path() / "missing"));
        auto [ec3, st3] = co_await try_open((dir.path() / "new").string(), durable(), diag);
        REQUIRE_FALSE(ec3);
        co_await st3.async_close(asio::use_awaitable);
        o = durable();
        o.error_if_exists = true;
        auto [ec4, st4] = co_await try_open((dir.path() / "new").string(), o, diag);
        CHECK(ec4 == fugu::errc::store_exists);
    });
}

TEST_CASE("a store destroyed without close loses nothing acknowledged", "[recovery][engine]") {
    fugu::test::temp_dir dir;
    const std::string db = (dir.path() / "db").string();
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        {
            auto st = co_await fugu::store::async_open(ex, db, durable(), asio::use_awaitable);
            co_await save_numbered(st, 0, 50);
        }  // no close: the handle starts one in the background
    });
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db, durable(), diag);  // the lock is free again
        REQUIRE_FALSE(ec);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        CHECK(snap.size() == 50);
        co_await st.async_close(asio::use_awaitable);
    });
}

namespace {

std::uint64_t get_u64_at(const std::vector<char>& b, std::size_t at) {
    std::uint64_t v = 0;
    std::memcpy(&v, b.data() + at, sizeof v);  // the format is little-endian, like the hosts we run on
    return v;
}

std::uint32_t get_u32_at(const std::vector<char>& b, std::size_t at) {
    std::uint32_t v = 0;
    std::memcpy(&v, b.data() + at, sizeof v);
    return v;
}

// Re-signs the record header at `at` after a test changed a field in it.
void reseal_record_header(std::vector<char>& b, std::size_t at) {
    const std::uint32_t crc = fugu::detail::format::crc32c_mask(fugu::detail::format::crc32c(b.data() + at + 4, 36));
    std::memcpy(b.data() + at, &crc, sizeof crc);
}

std::string slab_name(std::uint64_t id) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "slab-%016llx.fugu", static_cast<unsigned long long>(id));
    return buf;
}

}  // namespace

TEST_CASE("an interrupted slab creation is removed even when a merged slab has a higher id",
          "[recovery][engine]") {
    // The writer creates log slab N, compaction meanwhile publishes merged slab N+1 (of
    // older generations), and the process dies before N's header is written.
    const int variant = GENERATE(0, 1, 2);  // empty, half a header, a header of zeros
    fugu::test::temp_dir dir;
    const fs::path db = dir.path() / "db";
    auto o = durable();
    o.base_slab_size = 64 << 10;
    o.background_compaction = false;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto st = co_await fugu::store::async_open(ex, db.string(), o, asio::use_awaitable);
        co_await save_numbered(st, 0, 200, 1000);  // several slabs
        co_await st.async_compact(asio::use_awaitable);
        co_await st.async_close(asio::use_awaitable);
    });
    // Find the merged slab with the highest id and move it up one id.
    std::uint64_t merged = 0, newest_log = 0;
    for (const auto& p : slab_files(db)) {
        auto b = read_file(p);
        REQUIRE(b.size() >= 64);
        const auto id = get_u64_at(b, 16);
        if (get_u32_at(b, 12) == 2) merged = std::max(merged, id);
        else newest_log = std::max(newest_log, id);
    }
    REQUIRE(merged > newest_log);
    {
        auto b = read_file(db / slab_name(merged));
        namespace fmt = fugu::detail::format;
        auto h = fmt::decode_slab_header(std::as_bytes(std::span(b.data(), 64)));
        REQUIRE(h.status.ok());
        h.header.slab_id = merged + 1;
        std::array<std::byte, 64> hb{};
        fmt::encode_slab_header(h.header, hb);
        std::memcpy(b.data(), hb.data(), hb.size());
        write_file(db / slab_name(merged + 1), b);
        fs::remove(db / slab_name(merged));
    }
    // Slab `merged` is now the interrupted creation of the next log slab.
    std::vector<char> partial;
    if (variant == 1) {
        partial = read_file(db / slab_name(newest_log));
        partial.resize(32);
    }
    if (variant == 2) partial.assign(64, '\0');
    write_file(db / slab_name(merged), partial);

    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db.string(), o, diag);
        REQUIRE_FALSE(ec);
        CHECK_FALSE(fs::exists(db / slab_name(merged)));
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        CHECK(snap.size() == 200);
        co_await save_numbered(st, 200, 201);
        co_await st.async_close(asio::use_awaitable);
        auto [ec2, again] = co_await try_open(db.string(), o, diag);
        REQUIRE_FALSE(ec2);
        auto snap2 = co_await again.async_snapshot(asio::use_awaitable);
        CHECK(snap2.size() == 201);
        co_await again.async_close(asio::use_awaitable);
    });
}

TEST_CASE("a header-less slab below the newest generation is damage, not an interrupted creation",
          "[recovery][engine]") {
    fugu::test::temp_dir dir;
    const fs::path db = dir.path() / "db";
    auto o = durable();
    o.base_slab_size = 64 << 10;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto st = co_await fugu::store::async_open(ex, db.string(), o, asio::use_awaitable);
        co_await save_numbered(st, 0, 200, 1000);
        co_await st.async_close(asio::use_awaitable);
    });
    auto files = slab_files(db);
    REQUIRE(files.size() >= 2);
    write_file(files[0], {});  // the oldest, sealed slab emptied
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db.string(), o, diag);
        CHECK(ec == fugu::errc::corruption);
        CHECK(diag.file() == files[0].string());
        CHECK(fs::exists(files[0]));
    });
}

TEST_CASE("after a clean close, damage to the last records is corruption, not a torn tail",
          "[recovery][engine]") {
    // Nothing after the last commit record would vouch for it; the sync mark written on
    // close does, under either durability.
    const auto d = GENERATE(fugu::durability::fsync, fugu::durability::os_buffered);
    fugu::test::temp_dir dir;
    const std::string db = (dir.path() / "db").string();
    auto o = durable();
    o.durability = d;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto st = co_await fugu::store::async_open(ex, db, o, asio::use_awaitable);
        co_await save_numbered(st, 0, 5);
        co_await st.async_close(asio::use_awaitable);
    });
    auto files = slab_files(db);
    REQUIRE(files.size() == 1);
    auto bytes = read_file(files[0]);
    const std::size_t flip = bytes.size() - 40 - 20;  // in the last value, before the sync mark
    bytes[flip] = static_cast<char>(bytes[flip] ^ 0x10);
    write_file(files[0], bytes);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db, o, diag);
        CHECK(ec == fugu::errc::corruption);
        CHECK(diag.file() == files[0].string());
        CHECK(diag.offset() < flip);
    });
}

TEST_CASE("after recovery cuts a torn tail, what remains is vouched for", "[recovery][engine]") {
    fugu::test::temp_dir dir;
    const std::string db = (dir.path() / "db").string();
    auto o = durable();
    o.durability = fugu::durability::os_buffered;
    std::vector<char> clean;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto st = co_await fugu::store::async_open(ex, db, o, asio::use_awaitable);
        co_await save_numbered(st, 0, 5);
        clean = read_file(slab_files(db).at(0));  // a crash now: no sync mark yet
        co_await st.async_close(asio::use_awaitable);
    });
    auto file = slab_files(db).at(0);
    clean.push_back('\x7f');  // and a torn byte
    write_file(file, clean);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db, o, diag);
        REQUIRE_FALSE(ec);
        auto snap = co_await st.async_snapshot(asio::use_awaitable);
        CHECK(snap.size() == 5);
        co_await st.async_close(asio::use_awaitable);
    });
    auto bytes = read_file(file);
    REQUIRE(bytes.size() == clean.size() - 1 + 40);  // the tail cut, a sync mark added
    const std::size_t flip = clean.size() - 1 - 20;
    bytes[flip] = static_cast<char>(bytes[flip] ^ 0x10);
    write_file(file, bytes);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db, o, diag);
        CHECK(ec == fugu::errc::corruption);
    });
}

TEST_CASE("a record claiming bytes after its own start were synced fails the scan",
          "[recovery][engine]") {
    fugu::test::temp_dir dir;
    const std::string db = (dir.path() / "db").string();
    write_numbered(db, 0, 3);
    auto file = slab_files(db).at(0);
    auto bytes = read_file(file);
    const std::size_t second = 64 + 40 + get_u32_at(bytes, 64 + 8);
    const std::uint64_t beyond = second + 1;
    std::memcpy(bytes.data() + second + 24, &beyond, sizeof beyond);
    reseal_record_header(bytes, second);
    write_file(file, bytes);
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        fugu::diagnostics diag;
        auto [ec, st] = co_await try_open(db, durable(), diag);
        CHECK(ec == fugu::errc::corruption);  // the third record vouches for the second
        CHECK(diag.offset() == second);
        CHECK(diag.message().find("synced") != std::string::npos);
    });
}
