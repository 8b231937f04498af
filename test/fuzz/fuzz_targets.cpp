// SPDX-License-Identifier: MIT
#include "fuzz/fuzz_targets.hpp"

#include "format/format.hpp"
#include "format/record.hpp"
#include "format/record_scanner.hpp"
#include "format/slab_header.hpp"
#include "support/run_coro.hpp"
#include "support/slab_image.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <system_error>
#include <vector>

namespace fugu::fuzz {

namespace {

namespace asio = boost::asio;
namespace format = fugu::detail::format;

void check(bool ok, const char* what) {
    if (!ok) throw fuzz_failure(what);
}

std::span<const std::byte> as_bytes(std::span<const std::uint8_t> s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Stores in the fuzzers: RAM only, no background work, so a run depends on its input alone.
fugu::options fuzz_options() {
    fugu::options o;
    o.background_compaction = false;
    o.base_slab_size = 64 << 10;
    return o;
}

// ---- decoder -----------------------------------------------------------------------------

void check_commit(const format::scanned_record& r, std::span<const std::byte> record_bytes) {
    std::vector<format::put_ref> puts;
    std::vector<std::string_view> removes;
    bool values_ok = true;
    const auto body = r.body;
    format::visit_commit_body(r.header, body, [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, format::put_view>) {
            check(e.value_offset_in_body >= format::value_crc_size, "value offset inside its CRC");
            check(std::uint64_t{e.value_offset_in_body} + e.value_length <= body.size(),
                  "value past the body");
            const auto block = body.subspan(e.value_offset_in_body - format::value_crc_size,
                                            format::value_crc_size + e.value_length);
            if (!format::verify_value_block(block).ok()) values_ok = false;
            const auto v = body.subspan(e.value_offset_in_body, e.value_length);
            puts.push_back({e.key, {reinterpret_cast<const char*>(v.data()), v.size()}});
        } else {
            removes.push_back(e.key);
        }
    });
    check(puts.size() == r.header.put_count, "visited puts differ from the header's count");
    check(removes.size() == r.header.remove_count, "visited removes differ from the header's count");
    if (!values_ok) return;  // a bad value CRC is found on read; the record cannot round-trip
    // A record the decoder accepts is exactly what the encoder writes for its contents.
    auto size = format::commit_record_size(puts, removes);
    check(size.has_value() && *size == record_bytes.size(), "re-encoded size differs");
    std::vector<std::byte> again(*size);
    std::vector<std::uint32_t> offsets(puts.size());
    format::encode_commit_record(again, puts, removes, r.header.sequence, r.header.synced_upto, offsets);
    check(std::equal(again.begin(), again.end(), record_bytes.begin()), "re-encoded bytes differ");
}

}  // namespace

void decoder(std::span<const std::uint8_t> input) {
    const auto in = as_bytes(input);
    const auto h = format::decode_slab_header(in);
    if (h.status.ok()) {
        std::array<std::byte, format::slab_header_size> again{};
        format::encode_slab_header(h.header, again);
        check(std::equal(again.begin(), again.end(), in.begin()), "slab header does not round-trip");
    } else {
        check(h.error != fugu::errc{} || h.status.truncated(), "failed slab header without an error");
    }

    // The records after the header (or, for a short input, the input itself as records).
    const std::uint64_t base = format::slab_header_size;
    const auto records = in.size() >= base ? in.subspan(base) : in;
    format::record_scanner scan(records, base);
    std::uint64_t last_end = base;
    while (auto r = scan.next()) {
        check(r->offset == last_end, "records are not contiguous");
        if (!r->status.ok()) {
            auto next = format::find_next_valid_header(records, r->offset + 1, base);
            if (next) {
                check(next->offset > r->offset, "the search went backwards");
                check(next->header.synced_upto <= next->offset, "a found header claims its own bytes");
            }
            break;
        }
        check(r->header_valid, "an ok record without a valid header");
        check(r->body.size() == r->header.body_length, "body size differs from body_length");
        const auto record_bytes = records.subspan(r->offset - base, r->header.record_size());
        if (r->header.type == format::record_type::commit) {
            check_commit(*r, record_bytes);
        } else {
            const auto seal = format::decode_seal_body(r->header, r->body);
            check(seal.status.ok(), "a seal the scanner passed fails on its own");
            check(seal.seal.max_sequence == r->header.sequence, "seal sequence");
        }
        last_end = r->offset + r->header.record_size();
    }
    check(scan.offset() == last_end, "scanner offset");
    // Every header position the search can reach decodes without reading past the input.
    for (std::size_t at = 0; at + format::record_header_size <= std::min<std::size_t>(in.size(), 256); ++at)
        (void)format::decode_record_header(in.subspan(at));
}

// ---- recovery ----------------------------------------------------------------------------

std::string encode_recovery_slab(std::uint8_t id, std::span<const std::byte> bytes) {
    const std::size_t n = std::min<std::size_t>(bytes.size(), 0xffff);
    std::string out;
    out.push_back(static_cast<char>(id));
    out.push_back(static_cast<char>(n & 0xff));
    out.push_back(static_cast<char>(n >> 8));
    out.append(reinterpret_cast<const char*>(bytes.data()), n);
    return out;
}

namespace {

fugu::test::slab_image parse_recovery_input(std::span<const std::uint8_t> in) {
    fugu::test::slab_image image;
    std::size_t pos = 0;
    while (pos + 3 <= in.size()) {
        const std::uint8_t id = in[pos];
        std::size_t n = in[pos + 1] | (std::size_t{in[pos + 2]} << 8);
        pos += 3;
        n = std::min(n, in.size() - pos);
        if (id != 0 && !image.contains(id)) {
            const auto b = as_bytes(in.subspan(pos, n));
            image[id].assign(b.begin(), b.end());
        }
        pos += n;
    }
    return image;
}

using contents = std::map<std::string, std::string>;

// Everything a snapshot holds; keys whose value fails its check are left out and counted.
asio::awaitable<contents> read_all(fugu::store& st, int& unreadable) {
    auto snap = co_await st.async_snapshot(asio::use_awaitable);
    contents out;
    std::vector<std::string> keys;
    std::string previous;
    bool first = true;
    for (auto k : snap.keys()) {
        check(first || previous < k, "keys are not in ascending order");
        previous = std::string(k);
        first = false;
        keys.push_back(previous);
    }
    check(keys.size() == snap.size(), "snapshot size differs from its keys");
    for (const auto& k : keys) {
        fugu::diagnostics d;
        auto [ec, v] = co_await snap.async_read(k, d, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            check(ec == fugu::errc::corruption && !d.file().empty(), "a failed read without file");
            ++unreadable;
            continue;
        }
        check(v.has_value(), "a listed key reads as absent");
        out[k] = std::move(*v);
    }
    co_return out;
}

// Opens the store in `mem` again; failing to is a finding named by `what`.
asio::awaitable<fugu::store> reopen(std::shared_ptr<fugu::memory_storage> mem, const char* what) {
    auto ex = co_await asio::this_coro::executor;
    fugu::diagnostics diag;
    auto [ec, st] = co_await fugu::store::async_open(ex, mem, fuzz_options(), diag,
                                                     asio::as_tuple(asio::use_awaitable));
    check(!ec, what);
    co_return std::move(st);
}

asio::awaitable<void> recovery_run(std::span<const std::uint8_t> input) {
    auto ex = co_await asio::this_coro::executor;
    auto mem = co_await fugu::test::load_image(parse_recovery_input(input), ex);
    fugu::diagnostics diag;
    auto [ec, st] = co_await fugu::store::async_open(ex, mem, fuzz_options(), diag,
                                                     asio::as_tuple(asio::use_awaitable));
    if (ec) {
        check(!st.is_open(), "a failed open returned an open store");
        if (ec == fugu::errc::corruption) check(!diag.file().empty(), "corruption without a file");
        // The failed open released the lock: the storage can be locked again.
        check(!mem->lock(), "a failed open kept the lock");
        mem->unlock();
        co_return;
    }
    int unreadable = 0;
    contents found = co_await read_all(st, unreadable);
    fugu::change_set c;
    c.put("fuzz", "after open");
    auto [sec, seq] = co_await st.async_save(std::move(c), asio::as_tuple(asio::use_awaitable));
    check(!sec, "a save after a successful open failed");
    found["fuzz"] = "after open";
    co_await st.async_close(asio::use_awaitable);

    // What an open accepted, it accepts again, with the same contents.
    fugu::store again = co_await reopen(mem, "a store that opened once fails to open again");
    int unreadable2 = 0;
    const contents second = co_await read_all(again, unreadable2);
    check(unreadable2 == unreadable, "reads fail differently after a reopen");
    check(second == found, "contents changed across a reopen");
    if (unreadable == 0) {
        auto [cec] = co_await again.async_compact(asio::as_tuple(asio::use_awaitable));
        check(!cec, "compaction of a store that reads cleanly failed");
        int unreadable3 = 0;
        const contents compacted = co_await read_all(again, unreadable3);
        check(compacted == found && unreadable3 == 0, "contents changed across a compaction");
    }
    co_await again.async_close(asio::use_awaitable);
    fugu::store third = co_await reopen(mem, "a store fails to open after a compaction");
    int unreadable4 = 0;
    const contents last = co_await read_all(third, unreadable4);
    check(last == found, "contents changed after compaction and reopen");
    co_await third.async_close(asio::use_awaitable);
}

}  // namespace

void recovery(std::span<const std::uint8_t> input) {
    fugu::test::run_coro([&](asio::io_context&) { return recovery_run(input); });
}

// ---- api ---------------------------------------------------------------------------------

namespace {

class op_reader {
public:
    explicit op_reader(std::span<const std::uint8_t> in) : in_(in) {}
    bool more() const { return pos_ < in_.size(); }
    std::uint8_t byte() { return pos_ < in_.size() ? in_[pos_++] : 0; }

private:
    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
};

std::string key_for(std::uint8_t b) {
    if (b % 41 == 0) return {};  // the empty key is a key
    return "key" + std::to_string(b % 40);
}

std::string value_for(std::uint8_t b, std::uint64_t counter) {
    // Mostly short values; some of several KiB so slabs fill, rotate and compact.
    const std::size_t n = b < 200 ? b % 24 : static_cast<std::size_t>(b - 199) * 211;
    std::string v(n, static_cast<char>('a' + counter % 26));
    const std::string tag = std::to_string(counter);
    std::memcpy(v.data(), tag.data(), std::min(tag.size(), v.size()));
    return v;
}

struct held_snapshot {
    fugu::snapshot snap;
    contents expect;
};

asio::awaitable<void> check_snapshot(const fugu::snapshot& snap, const contents& expect) {
    check(snap.size() == expect.size(), "snapshot size differs from the model");
    auto it = expect.begin();
    for (auto k : snap.keys()) {
        check(it != expect.end() && it->first == k, "snapshot keys differ from the model");
        ++it;
    }
    check(it == expect.end(), "snapshot is missing keys");
    for (const auto& [k, v] : expect) {
        auto got = co_await snap.async_read(k, asio::use_awaitable);
        check(got == v, "snapshot value differs from the model");
    }
}

asio::awaitable<void> api_run(std::span<const std::uint8_t> input) {
    auto ex = co_await asio::this_coro::executor;
    auto mem = std::make_shared<fugu::memory_storage>(ex);
    auto st = co_await fugu::store::async_open(ex, mem, fuzz_options(), asio::use_awaitable);
    contents model;
    contents pending_model;  // model with the pending change set applied
    fugu::change_set pending;
    std::set<std::string> pending_keys;  // a change set's keys are not public
    std::vector<held_snapshot> held;
    std::uint64_t counter = 0, last_sequence = 0;
    op_reader ops(input);
    int steps = 0;
    while (ops.more() && steps++ < 2000) {
        const std::uint8_t op = ops.byte();
        switch (op % 10) {
            case 0:
            case 1: {  // put into the pending change set
                const std::string k = key_for(ops.byte());
                const std::string v = value_for(ops.byte(), ++counter);
                const bool dup = pending_keys.contains(k);
                try {
                    pending.put(k, v);
                    pending_keys.insert(k);
                    check(!dup, "a duplicate key was accepted");
                    pending_model[k] = v;
                } catch (const std::system_error& e) {
                    check(dup && e.code() == std::error_code(fugu::make_error_code(fugu::errc::duplicate_key)),
                          "put failed unexpectedly");
                }
                break;
            }
            case 2: {  // remove into the pending change set
                const std::string k = key_for(ops.byte());
                const bool dup = pending_keys.contains(k);
                try {
                    pending.remove(k);
                    pending_keys.insert(k);
                    check(!dup, "a duplicate key was accepted");
                    pending_model.erase(k);
                } catch (const std::system_error&) {
                    check(dup, "remove failed unexpectedly");
                }
                break;
            }
            case 3: {  // save
                const bool empty = pending.empty();
                auto [ec, seq] = co_await st.async_save(std::move(pending), asio::as_tuple(asio::use_awaitable));
                check(!ec, "save failed");
                check(empty ? seq == last_sequence : seq > last_sequence, "sequence numbers");
                last_sequence = seq;
                pending = fugu::change_set{};
                pending_keys.clear();
                model = pending_model;
                break;
            }
            case 4: {  // point read
                const std::string k = key_for(ops.byte());
                auto got = co_await st.async_get(k, asio::use_awaitable);
                auto it = model.find(k);
                check(it == model.end() ? !got.has_value() : got == it->second, "read differs from the model");
                break;
            }
            case 5: {  // hold a snapshot (at most three)
                auto snap = co_await st.async_snapshot(asio::use_awaitable);
                check(snap.sequence() == last_sequence, "snapshot sequence");
                if (held.size() == 3) held.erase(held.begin() + (ops.byte() % 3));
                held.push_back({std::move(snap), model});
                break;
            }
            case 6: {  // check a held snapshot, and keys_from on it
                if (held.empty()) break;
                auto& h = held[ops.byte() % held.size()];
                co_await check_snapshot(h.snap, h.expect);
                const std::string start = key_for(ops.byte());
                auto it = h.expect.lower_bound(start);
                for (auto k : h.snap.keys_from(start)) {
                    check(it != h.expect.end() && it->first == k, "keys_from differs from the model");
                    ++it;
                }
                check(it == h.expect.end(), "keys_from stopped early");
                break;
            }
            case 7: {  // compact
                auto [ec] = co_await st.async_compact(asio::as_tuple(asio::use_awaitable));
                check(!ec, "compaction failed");
                break;
            }
            case 8: {  // close and reopen; held snapshots report store_closed afterwards
                co_await st.async_close(asio::use_awaitable);
                for (auto& h : held) {
                    if (h.expect.empty()) continue;
                    auto [ec, v] = co_await h.snap.async_read(h.expect.begin()->first,
                                                              asio::as_tuple(asio::use_awaitable));
                    check(ec == fugu::errc::store_closed, "a read on a closed store's snapshot");
                }
                held.clear();
                st = co_await fugu::store::async_open(ex, mem, fuzz_options(), asio::use_awaitable);
                auto snap = co_await st.async_snapshot(asio::use_awaitable);
                co_await check_snapshot(snap, model);
                break;
            }
            default: {  // whole-store check
                auto snap = co_await st.async_snapshot(asio::use_awaitable);
                co_await check_snapshot(snap, model);
                break;
            }
        }
    }
    held.clear();
    auto snap = co_await st.async_snapshot(asio::use_awaitable);
    co_await check_snapshot(snap, model);
    snap = {};
    co_await st.async_close(asio::use_awaitable);
}

}  // namespace

void api(std::span<const std::uint8_t> input) {
    fugu::test::run_coro([&](asio::io_context&) { return api_run(input); });
}

}  // namespace fugu::fuzz
