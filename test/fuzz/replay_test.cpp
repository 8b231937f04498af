// SPDX-License-Identifier: MIT
// Replays every file of test/fuzz/corpus/<target>/ and test/fuzz/regressions/<target>/
// through the fuzz entry points, so past findings stay fixed in every build, with any
// compiler. A hidden case ("[.fuzz-seeds]", run with FUGU_FUZZ_SEED_DIR=<dir>) writes the
// seed inputs made from real stores; the corpus was started from its output.
#include "fuzz/fuzz_dir.hpp"
#include "fuzz/fuzz_targets.hpp"
#include "support/run_coro.hpp"
#include "support/slab_image.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void replay(const std::string& target, void (*entry)(std::span<const std::uint8_t>)) {
    int inputs = 0, failures = 0;
    for (const char* kind : {"corpus", "regressions"}) {
        const fs::path dir = fs::path(FUGU_FUZZ_DIR) / kind / target;
        if (!fs::is_directory(dir)) continue;
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_regular_file()) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            const auto bytes = read_bytes(f);
            ++inputs;
            try {
                entry(bytes);
            } catch (const std::exception& e) {
                ++failures;
                FAIL_CHECK(f.string() << ": " << e.what());
            }
        }
    }
    std::printf("fuzz-replay: target=%s inputs=%d failures=%d\n", target.c_str(), inputs, failures);
    CHECK(inputs > 0);
    CHECK(failures == 0);
}

}  // namespace

TEST_CASE("fuzz corpus and regressions: decoder", "[fuzz]") { replay("decoder", fugu::fuzz::decoder); }
TEST_CASE("fuzz corpus and regressions: recovery", "[fuzz]") { replay("recovery", fugu::fuzz::recovery); }
TEST_CASE("fuzz corpus and regressions: api", "[fuzz]") { replay("api", fugu::fuzz::api); }

// ---- seeds ---------------------------------------------------------------------------------

namespace {

void write_seed(const fs::path& dir, const std::string& name, std::span<const std::byte> bytes) {
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_seed(const fs::path& dir, const std::string& name, const std::string& bytes) {
    write_seed(dir, name, std::as_bytes(std::span(bytes.data(), bytes.size())));
}

// Small stores as their slabs: several change sets of puts and removes; the same after a
// compaction and a reopen.
asio::awaitable<std::vector<fugu::test::slab_image>> seed_stores() {
    auto ex = co_await asio::this_coro::executor;
    std::vector<fugu::test::slab_image> out;
    fugu::options o;
    o.background_compaction = false;
    o.base_slab_size = 64 << 10;
    auto mem = std::make_shared<fugu::memory_storage>(ex);
    auto st = co_await fugu::store::async_open(ex, mem, o, asio::use_awaitable);
    for (int i = 0; i < 8; ++i) {
        fugu::change_set c;
        c.put("k" + std::to_string(i), std::string(static_cast<std::size_t>(i * 5), 'v'));
        if (i % 3 == 2) c.remove("k" + std::to_string(i - 2));
        if (i == 4) c.put("", "empty key");
        co_await st.async_save(std::move(c), asio::use_awaitable);
    }
    co_await st.async_close(asio::use_awaitable);
    out.push_back(co_await fugu::test::read_image(*mem));
    st = co_await fugu::store::async_open(ex, mem, o, asio::use_awaitable);
    co_await st.async_compact(asio::use_awaitable);
    fugu::change_set c;
    c.put("after compaction", "x");
    co_await st.async_save(std::move(c), asio::use_awaitable);
    co_await st.async_close(asio::use_awaitable);
    out.push_back(co_await fugu::test::read_image(*mem));
    co_return out;
}

}  // namespace

TEST_CASE("write fuzz seeds from real stores", "[.fuzz-seeds]") {
    // Also reached by exclusion-only filters (the unit suite's), so it does nothing
    // unless asked.
    const char* where = std::getenv("FUGU_FUZZ_SEED_DIR");
    if (!where || !*where) return;
    const fs::path root(where);
    auto images = fugu::test::run_coro([](asio::io_context&) { return seed_stores(); });
    int n = 0;
    for (const auto& image : images) {
        std::string recovery_input;
        for (const auto& [id, bytes] : image) {
            write_seed(root / "decoder", "store" + std::to_string(n) + "-slab" + std::to_string(id), bytes);
            recovery_input += fugu::fuzz::encode_recovery_slab(static_cast<std::uint8_t>(id), bytes);
        }
        write_seed(root / "recovery", "store" + std::to_string(n), recovery_input);
        ++n;
    }
    write_seed(root / "decoder", "empty", std::string());
    write_seed(root / "recovery", "empty", std::string());
    // API op strings: puts, a save, reads, snapshots, compaction, reopen, big values.
    write_seed(root / "api", "basic", std::string("\x00\x01\x05\x00\x02\x07\x03\x04\x01\x04\x02\x05\x00\x09", 14));
    write_seed(root / "api", "dup-and-remove", std::string("\x00\x01\x05\x00\x01\x06\x02\x01\x02\x03\x03\x09", 12));
    std::string big;
    for (int i = 0; i < 40; ++i) big += std::string{'\x00', static_cast<char>(i), '\xff', '\x03'};
    big += "\x07\x08\x09\x05\x00\x06\x00\x03";
    write_seed(root / "api", "big-values-compact-reopen", big);
    std::string snaps;
    for (int i = 0; i < 30; ++i)
        snaps += std::string{'\x00', static_cast<char>(i % 7), static_cast<char>(i * 13), '\x03', '\x05',
                             static_cast<char>(i % 3), '\x06', static_cast<char>(i % 3), '\x02'};
    snaps += std::string{'\x02', '\x01', '\x03', '\x07', '\x06', '\x00', '\x00', '\x08', '\x09'};
    write_seed(root / "api", "snapshots", snaps);
}
