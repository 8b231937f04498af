// SPDX-License-Identifier: MIT
// Corruption sweep: a real store leaves a small sealed slab of several records and a
// newer, unsealed log slab. Every byte of the sealed slab is flipped with three masks and
// the slab is cut at every length; each damaged store must fail to open (or fail the read)
// with an error naming the slab and an offset at or before the damage, and no read may
// ever return a wrong value. Every cut (and zeroed tail) of the newest slab is a torn tail:
// the open must succeed silently with exactly the change sets whose records survived.
//
// Prints: corruption: cases=N detected=N (P%) wrong_values=W torn_tail_repaired=a/b
// FUGU_SOAK_SEALED_RECORDS raises the number of change sets in the sealed slab.
#include "support/run_coro.hpp"
#include "support/slab_image.hpp"

#include "format/format.hpp"
#include "format/record_scanner.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace format = fugu::detail::format;
using fugu::test::run_coro;
using fugu::test::slab_image;
using model = std::map<std::string, std::string>;

fugu::options sweep_options() {
    fugu::options o;
    o.background_compaction = false;  // the slabs must stay as built
    o.base_slab_size = 64 << 10;      // the smallest: the big change set below rotates
    return o;
}

struct built_store {
    slab_image image;
    std::uint64_t sealed_id = 0;
    std::uint64_t newest_id = 0;
    std::vector<std::uint64_t> record_end;  // [k]: end offset of the newest slab's k-th record
};

int sealed_records() {
    const char* v = std::getenv("FUGU_SOAK_SEALED_RECORDS");
    return v ? std::max(1, std::atoi(v)) : 6;
}

// Small change sets of puts, overwrites and removes, each its own record (saved one at a
// time), then one change set too big for the slab's room, which seals it and fills the
// next log slab alone, then a few more small ones in the slab after that.
asio::awaitable<built_store> build() {
    auto ex = co_await asio::this_coro::executor;
    auto mem = std::make_shared<fugu::memory_storage>(ex);
    auto st = co_await fugu::store::async_open(ex, mem, sweep_options(), asio::use_awaitable);
    auto save = [&](fugu::change_set c) -> asio::awaitable<void> {
        co_await st.async_save(std::move(c), asio::use_awaitable);
    };
    const int n = sealed_records();
    for (int i = 0; i < n; ++i) {
        fugu::change_set c;
        c.put("k" + std::to_string(i), "value " + std::to_string(i * 7));
        c.put("k" + std::to_string(i + 1), std::string(static_cast<std::size_t>(i % 3), 'x'));
        if (i >= 2) c.remove("k" + std::to_string(i - 2));
        co_await save(std::move(c));
    }
    built_store out;
    {
        fugu::change_set c;
        c.put("big", std::string(70 << 10, 'B'));
        co_await save(std::move(c));
    }
    for (int i = 0; i < 4; ++i) {
        fugu::change_set c;
        c.put("t" + std::to_string(i), "tail value " + std::to_string(i));
        if (i == 1) c.remove("k" + std::to_string(n - 1));
        if (i == 3) c.put("k" + std::to_string(n), "overwritten in the tail");
        co_await save(std::move(c));
    }
    co_await st.async_close(asio::use_awaitable);
    out.image = co_await fugu::test::read_image(*mem);
    // The first slab sealed when the big change set came; that one filled the second slab,
    // which sealed in turn when the next change set came.
    REQUIRE(out.image.size() == 3);
    out.sealed_id = out.image.begin()->first;
    out.newest_id = out.image.rbegin()->first;

    // Where the newest slab's records end (the states after each: newest_states()).
    auto& newest = out.image.at(out.newest_id);
    const std::span<const std::byte> records =
        std::span<const std::byte>(newest).subspan(format::slab_header_size);
    format::record_scanner scan(records, format::slab_header_size);
    out.record_end.push_back(format::slab_header_size);
    std::optional<std::uint64_t> mark_at;
    while (auto r = scan.next()) {
        REQUIRE(r->status.ok());
        REQUIRE(!mark_at);  // the close's sync mark is the last record
        if (r->header.type == format::record_type::sync_mark) {
            mark_at = r->offset;
            continue;
        }
        REQUIRE(r->header.type == format::record_type::commit);
        out.record_end.push_back(r->offset + r->header.record_size());
    }
    REQUIRE(scan.at_end());
    // The clean close ended the slab with a sync mark vouching for every record, so damage
    // there is corruption, not a torn tail. Torn tails come from crashes, which write no
    // mark: the tail cases start from the slab as a crash right before the close left it.
    REQUIRE(mark_at);
    newest.resize(static_cast<std::size_t>(*mark_at));
    REQUIRE(out.record_end.size() == 1 + 4);  // the four change sets after the big one
    co_return out;
}

// The states to expect after the newest slab keeps its first k records, k = 0..4.
std::vector<model> newest_states(int n) {
    model m;
    std::vector<model> states;
    auto apply = [&](const fugu::change_set& c) {
        for (const auto& e : c.entries()) {
            if (e.is_remove()) m.erase(std::string(e.key()));
            else m[std::string(e.key())] = std::string(e.value());
        }
    };
    for (int i = 0; i < n; ++i) {
        fugu::change_set c;
        c.put("k" + std::to_string(i), "value " + std::to_string(i * 7));
        c.put("k" + std::to_string(i + 1), std::string(static_cast<std::size_t>(i % 3), 'x'));
        if (i >= 2) c.remove("k" + std::to_string(i - 2));
        apply(c);
    }
    {
        fugu::change_set c;
        c.put("big", std::string(70 << 10, 'B'));
        apply(c);
        states.push_back(m);
    }
    for (int i = 0; i < 4; ++i) {
        fugu::change_set c;
        c.put("t" + std::to_string(i), "tail value " + std::to_string(i));
        if (i == 1) c.remove("k" + std::to_string(n - 1));
        if (i == 3) c.put("k" + std::to_string(n), "overwritten in the tail");
        apply(c);
        states.push_back(m);
    }
    return states;
}

struct tally {
    int cases = 0;
    int detected_on_open = 0;
    int detected_on_read = 0;
    int undetected = 0;
    int badly_named = 0;  // detected, but the error did not name the slab and an offset at or before the damage
    int wrong_values = 0;
    int torn_cases = 0;
    int torn_repaired = 0;
};

// Opens a damaged image. `damage_at` is the first damaged offset in the sealed slab.
asio::awaitable<void> damaged_case(const slab_image& image, std::uint64_t sealed_id,
                                   std::uint64_t damage_at, const model& expect, tally& t,
                                   const std::string& what) {
    auto ex = co_await asio::this_coro::executor;
    auto mem = co_await fugu::test::load_image(image, ex);
    ++t.cases;
    const std::string name = fugu::test::memory_slab_name(sealed_id);
    fugu::diagnostics diag;
    auto [ec, st] = co_await fugu::store::async_open(ex, mem, sweep_options(), diag,
                                                     asio::as_tuple(asio::use_awaitable));
    auto named = [&](const fugu::diagnostics& d) {
        return d.file() == name && d.offset() <= damage_at &&
               d.message().find(name) != std::string::npos;
    };
    if (ec) {
        ++t.detected_on_open;
        if (!named(diag)) {
            ++t.badly_named;
            UNSCOPED_INFO(what << ": " << ec.message() << ": " << diag.message() << " (file "
                               << diag.file() << ", offset " << diag.offset() << ")");
        }
        co_return;
    }
    // Opened: every read must give the right value or an error naming the damage.
    bool read_error = false;
    auto snap = co_await st.async_snapshot(asio::use_awaitable);
    for (const auto& [k, v] : expect) {
        fugu::diagnostics rd;
        auto [rec, got] = co_await snap.async_read(k, rd, asio::as_tuple(asio::use_awaitable));
        if (rec) {
            read_error = true;
            if (!named(rd)) ++t.badly_named;
        } else if (got != v) {
            ++t.wrong_values;
            UNSCOPED_INFO(what << ": a wrong value was returned");
        }
    }
    std::size_t keys = 0;
    for (auto k : snap.keys()) {
        ++keys;
        if (!expect.contains(std::string(k))) ++t.wrong_values;  // a key that should not exist
    }
    if (keys != expect.size() && !read_error) ++t.wrong_values;
    if (read_error) ++t.detected_on_read;
    else {
        ++t.undetected;
        UNSCOPED_INFO(what << ": opened and read back without an error");
    }
    snap = {};
    co_await st.async_close(asio::use_awaitable);
}

asio::awaitable<bool> same_state(fugu::store& st, const model& expect) {
    auto snap = co_await st.async_snapshot(asio::use_awaitable);
    if (snap.size() != expect.size()) co_return false;
    for (const auto& [k, v] : expect) {
        auto [ec, got] = co_await snap.async_read(k, asio::as_tuple(asio::use_awaitable));
        if (ec || got != v) co_return false;
    }
    co_return true;
}

// The newest slab cut at `keep` (or zeroed from `keep` on, size kept): the open must
// succeed silently with the state of the records wholly before `keep`, the slab must be
// cut back to their end, and the store must take and keep new saves.
asio::awaitable<void> torn_case(const built_store& b, const std::vector<model>& states,
                                std::uint64_t keep, bool zero_fill, tally& t) {
    auto ex = co_await asio::this_coro::executor;
    slab_image image = b.image;
    auto& newest = image.at(b.newest_id);
    if (zero_fill) std::fill(newest.begin() + static_cast<std::ptrdiff_t>(keep), newest.end(), std::byte{0});
    else newest.resize(keep);
    std::size_t k = 0;
    while (k + 1 < b.record_end.size() && b.record_end[k + 1] <= keep) ++k;
    const model& expect = keep < format::slab_header_size ? states[0] : states[k];
    ++t.torn_cases;

    auto mem = co_await fugu::test::load_image(image, ex);
    fugu::diagnostics diag;
    auto [ec, st] = co_await fugu::store::async_open(ex, mem, sweep_options(), diag,
                                                     asio::as_tuple(asio::use_awaitable));
    if (ec) {
        UNSCOPED_INFO("torn tail at " << keep << (zero_fill ? " (zeroed)" : "") << " failed the open: "
                                      << diag.message());
        co_return;
    }
    bool ok = co_await same_state(st, expect);
    fugu::change_set c;
    c.put("after repair", "new");
    auto [sec, seq] = co_await st.async_save(std::move(c), asio::as_tuple(asio::use_awaitable));
    ok = ok && !sec;
    co_await st.async_close(asio::use_awaitable);
    // The tail is gone from the slab itself (cut to the last whole record, or the slab
    // removed when its header was incomplete), and the save went after it.
    auto after = co_await fugu::test::read_image(*mem);
    if (keep < format::slab_header_size) ok = ok && !after.contains(b.newest_id);
    else if (after.contains(b.newest_id)) {
        const auto& bytes = after.at(b.newest_id);
        ok = ok && bytes.size() > b.record_end[k] &&
             std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(b.record_end[k]),
                        b.image.at(b.newest_id).begin());
    } else {
        ok = false;
    }
    auto [ec2, again] = co_await fugu::store::async_open(ex, mem, sweep_options(),
                                                         asio::as_tuple(asio::use_awaitable));
    if (ec2) co_return;
    model with_new = expect;
    with_new["after repair"] = "new";
    const bool kept = co_await same_state(again, with_new);
    ok = ok && kept;
    co_await again.async_close(asio::use_awaitable);
    if (ok) ++t.torn_repaired;
    else UNSCOPED_INFO("torn tail at " << keep << (zero_fill ? " (zeroed)" : "") << " not repaired as expected");
}

}  // namespace

TEST_CASE("corruption sweep: every flipped byte and every cut of a sealed slab is detected",
          "[crash][corruption]") {
    tally t;
    run_coro([&](asio::io_context&) -> asio::awaitable<void> {
        const built_store b = co_await build();
        const auto states = newest_states(sealed_records());
        const model& full = states.back();
        const auto& sealed = b.image.at(b.sealed_id);
        INFO("sealed slab: " << sealed.size() << " bytes; newest slab: "
                             << b.image.at(b.newest_id).size() << " bytes");

        for (std::size_t at = 0; at < sealed.size(); ++at) {
            for (unsigned mask : {0x01u, 0x80u, 0xffu}) {
                slab_image image = b.image;
                image.at(b.sealed_id)[at] ^= std::byte(mask);
                const std::string what = "byte " + std::to_string(at) + " ^ " + std::to_string(mask);
                co_await damaged_case(image, b.sealed_id, at, full, t, what);
            }
        }
        for (std::size_t len = 0; len < sealed.size(); ++len) {
            slab_image image = b.image;
            image.at(b.sealed_id).resize(len);
            const std::string what = "cut to " + std::to_string(len);
            co_await damaged_case(image, b.sealed_id, len, full, t, what);
        }

        // Torn tails of the newest slab: every cut, and every tail zeroed with the size
        // kept (the file grew before its contents landed).
        const std::uint64_t size = b.image.at(b.newest_id).size();
        for (std::uint64_t keep = 0; keep < size; ++keep) {
            co_await torn_case(b, states, keep, false, t);
            if (keep >= format::slab_header_size) co_await torn_case(b, states, keep, true, t);
        }
    });
    const int detected = t.detected_on_open + t.detected_on_read;
    std::printf("corruption: cases=%d detected=%d (%.1f%%) wrong_values=%d torn_tail_repaired=%d/%d\n",
                t.cases, detected, t.cases ? 100.0 * detected / t.cases : 0.0, t.wrong_values,
                t.torn_repaired, t.torn_cases);
    std::printf("corruption: detected_on_open=%d detected_on_read=%d not_naming_file_and_offset=%d\n",
                t.detected_on_open, t.detected_on_read, t.badly_named);
    CHECK(t.cases > 0);
    CHECK(detected == t.cases);
    CHECK(t.undetected == 0);
    CHECK(t.badly_named == 0);
    CHECK(t.wrong_values == 0);
    CHECK(t.torn_repaired == t.torn_cases);
}
