// SPDX-License-Identifier: MIT
// check: every checksum of every slab (header, each record, seal), the rules of
// docs/format.md between records and slabs, then the index rebuild: the store is opened
// read-side and every live key it reports is compared with a replay of the records.
// Holds the store's lock throughout, so nothing changes underneath.
#include "cli.hpp"
#include "format/coding.hpp"
#include "format/crc32c.hpp"
#include "load_plan.hpp"
#include "output.hpp"
#include "slab_files.hpp"
#include "store_access.hpp"
#include "workers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <unordered_map>

namespace fugu::cli {

namespace asio = boost::asio;
using detail::load_plan;
using detail::may_be_interrupted_creation;
using detail::plan_load;
using detail::planned_slab;

namespace {

enum class severity { error, warning, note };

std::string_view severity_name(severity s) {
    switch (s) {
    case severity::error: return "error";
    case severity::warning: return "warning";
    case severity::note: return "note";
    }
    return "";
}

struct problem {
    severity level = severity::error;
    std::string file;                   // empty: the store as a whole
    std::optional<std::uint64_t> offset;
    std::string message;
};

struct slab_report {
    listed_file file;
    std::uint64_t size = 0;
    bool header_ok = false;
    format::slab_header header;
    std::uint64_t commits = 0;
    std::uint64_t entries = 0;
    bool sealed = false;
    std::string role;  // "kept", "newest log", "superseded"
    std::size_t problems = 0;
};

// What the records say each live key should hold: value length and stored CRC.
struct expected_value {
    std::uint32_t length = 0;
    std::uint32_t masked_crc = 0;
};

class checker {
public:
    checker(std::string dir, bool json) : dir_(std::move(dir)), json_(json) {}

    void add(severity level, const std::string& file, std::optional<std::uint64_t> offset,
             std::string message) {
        problems_.push_back({level, file, offset, std::move(message)});
        if (current_) ++current_->problems;
    }

    // The file pass: headers, load order, then the records of every slab.
    void scan_files(const directory_listing& listing);
    // The index pass on an open store.
    asio::awaitable<void> compare_index(fugu::store& s);

    std::size_t count(severity level) const {
        return static_cast<std::size_t>(std::count_if(problems_.begin(), problems_.end(),
                                                      [&](const problem& p) { return p.level == level; }));
    }
    void print_human(bool index_checked, const std::string& index_summary) const;
    void print_json(bool index_checked, const std::string& index_summary, int status) const;

    bool json() const { return json_; }
    std::uint64_t replayed_keys() const { return expected_.size(); }
    std::uint64_t values_verified = 0;

private:
    void scan_slab(slab_report& r, const mapped_file& m, bool newest_log, bool replay);

    std::string dir_;
    bool json_;
    std::vector<slab_report> slabs_;
    std::vector<problem> problems_;
    slab_report* current_ = nullptr;
    std::unordered_map<std::string, expected_value> expected_;
    std::uint64_t last_sequence_ = 0;  // across kept slabs, in load order
};

void checker::scan_files(const directory_listing& listing) {
    for (const auto& n : listing.other_names)
        add(severity::note, dir_ + "/" + n, std::nullopt, "not a Fugu file; the store ignores it");

    std::vector<std::unique_ptr<mapped_file>> maps;
    // Header-less slabs that may be interrupted creations, judged once every readable
    // header is known, by the rule recovery applies (lib/load_plan.hpp).
    std::vector<std::pair<std::size_t, format::slab_header_decode>> headerless;
    for (const auto& f : listing.slabs) {
        slab_report r;
        r.file = f;
        slabs_.push_back(r);
    }
    for (auto& r : slabs_) {
        current_ = &r;
        auto m = std::make_unique<mapped_file>(r.file.path);
        r.size = m->size();
        if (r.file.temporary) {
            add(severity::note, r.file.path, std::nullopt,
                "unpublished output of an interrupted compaction; the next open removes it");
            r.role = "temporary";
            maps.push_back(std::move(m));
            continue;
        }
        auto h = format::decode_slab_header(m->bytes());
        if (!h.status.ok()) {
            if (may_be_interrupted_creation(r.size, h)) {
                headerless.emplace_back(static_cast<std::size_t>(&r - slabs_.data()), h);
            } else {
                std::string why(h.status.reason);
                if (h.error == errc::unknown_format_version)
                    why += " (written by a newer version of Fugu)";
                add(severity::error, r.file.path, 0, "slab header: " + why);
            }
        } else if (h.header.slab_id != r.file.id) {
            add(severity::error, r.file.path, 16,
                "slab header names slab " + std::to_string(h.header.slab_id) + ", the file name slab " +
                    std::to_string(r.file.id));
        } else {
            r.header_ok = true;
            r.header = h.header;
        }
        maps.push_back(std::move(m));
    }
    current_ = nullptr;

    // Load order (docs/format.md), exactly as an open decides it.
    std::vector<std::size_t> readable;
    std::vector<planned_slab> headers;
    for (std::size_t i = 0; i < slabs_.size(); ++i) {
        if (!slabs_[i].header_ok) continue;
        readable.push_back(i);
        headers.push_back({slabs_[i].file.id, slabs_[i].header});
    }
    const load_plan plan = plan_load(headers);
    for (const auto& [i, h] : headerless) {
        auto& r = slabs_[i];
        current_ = &r;
        if (plan.is_interrupted_creation(r.file.id)) {
            add(severity::warning, r.file.path, 0,
                "slab header incomplete (" + std::string(h.status.reason) +
                    "): a slab whose creation was interrupted; the next open removes it");
        } else {
            add(severity::error, r.file.path, 0, "slab header: " + std::string(h.status.reason));
        }
    }
    std::vector<std::size_t> kept, superseded;
    for (std::size_t p : plan.keep) {
        kept.push_back(readable[p]);
        slabs_[readable[p]].role = "kept";
    }
    for (std::size_t p : plan.superseded) {
        auto& r = slabs_[readable[p]];
        superseded.push_back(readable[p]);
        r.role = "superseded";
        current_ = &r;
        add(severity::note, r.file.path, std::nullopt,
            "compaction source whose removal was interrupted; its data is in a merged slab "
            "and the next open removes it");
    }
    for (std::size_t p : plan.overlapping) {
        auto& r = slabs_[readable[p]];
        current_ = &r;
        r.role = "overlapping";
        add(severity::error, r.file.path, 24,
            "generation range overlaps another slab's without containing it");
    }
    for (std::size_t k = 0; k < kept.size(); ++k) {
        auto& r = slabs_[kept[k]];
        const bool newest_log = k + 1 == kept.size() && r.header.kind == format::slab_kind::log;
        if (newest_log) r.role = "newest log";
        current_ = &r;
        scan_slab(r, *maps[kept[k]], newest_log, true);
    }
    for (std::size_t i : superseded) {
        current_ = &slabs_[i];
        scan_slab(slabs_[i], *maps[i], false, false);
    }
    current_ = nullptr;
}

void checker::scan_slab(slab_report& r, const mapped_file& m, bool newest_log, bool replay) {
    const auto bytes = m.bytes();
    const std::string& file = r.file.path;
    std::uint64_t prev_seq = 0;
    bool seal_seen = false;
    bool damaged_in_slab = false;
    bool damaged = false;        // replay stops at the first damage, as recovery does
    std::optional<std::uint64_t> tail_at;  // newest log: where the next open cuts
    std::optional<std::size_t> tail_warning;  // its entry in problems_
    std::uint64_t intact_after_tail = 0;      // good records the cut would drop too

    walk_callbacks cb;
    cb.record = [&](const format::scanned_record& rec) {
        const auto& h = rec.header;
        if (tail_at) ++intact_after_tail;
        if (seal_seen) {
            add(severity::error, file, rec.offset, "a record follows the seal record");
        }
        if (h.type == format::record_type::sync_mark) {
            // Vouches for the bytes before it (the damage callback's proof search finds
            // it); it holds no entries and takes no sequence of its own.
            return;
        }
        if (h.type == format::record_type::seal) {
            seal_seen = true;
            r.sealed = true;
            const auto seal = format::decode_seal_body(h, rec.body).seal;
            // After damage the count cannot match; the damage itself is the report.
            if ((!damaged_in_slab && seal.record_count != r.commits) || seal.data_end != rec.offset) {
                add(severity::error, file, rec.offset,
                    "seal record says " + std::to_string(seal.record_count) + " records ending at " +
                        std::to_string(seal.data_end) + ", the slab has " + std::to_string(r.commits) +
                        " ending at " + std::to_string(rec.offset));
            }
            if (rec.offset + h.record_size() != m.size()) {
                add(severity::error, file, rec.offset + h.record_size(),
                    std::to_string(m.size() - rec.offset - h.record_size()) + " bytes follow the seal record");
            }
            return;
        }
        ++r.commits;
        r.entries += h.put_count + h.remove_count;
        if (h.sequence < r.header.first_sequence || (prev_seq && h.sequence <= prev_seq)) {
            add(severity::error, file, rec.offset,
                "sequence " + std::to_string(h.sequence) + " does not rise above " +
                    std::to_string(std::max(prev_seq, r.header.first_sequence ? r.header.first_sequence - 1 : 0)));
        }
        prev_seq = h.sequence;
        if (!replay || damaged) return;
        if (last_sequence_ && h.sequence <= last_sequence_) {
            add(severity::error, file, rec.offset,
                "sequence " + std::to_string(h.sequence) + " is not above the previous slab's " +
                    std::to_string(last_sequence_));
        }
        last_sequence_ = h.sequence;
        format::visit_commit_body(h, rec.body, [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, format::put_view>) {
                const std::uint32_t crc = format::get_u32(rec.body, e.value_offset_in_body - 4);
                expected_[std::string(e.key)] = {e.value_length, crc};
            } else {
                expected_.erase(std::string(e.key));
            }
        });
    };
    cb.damage = [&](std::uint64_t at, std::string_view reason, bool truncated,
                    std::optional<std::uint64_t> resumed) {
        damaged_in_slab = true;
        const std::string resumed_words =
            resumed ? "; records resume at offset " + std::to_string(*resumed) : "";
        std::string what = std::string(truncated ? "record truncated" : "record fails its checks") +
                           " (" + std::string(reason) + ")";
        if (newest_log && !tail_at) {
            damaged = true;
            if (auto proof = later_record_proving_synced(bytes, at)) {
                add(severity::error, file, at,
                    what + ": damage to synced data (the record at offset " + std::to_string(*proof) +
                        " shows these bytes had been synced); the store will not open");
                tail_at = at;  // later damage is reported as part of it
                return;
            }
            tail_at = at;
            tail_warning = problems_.size();
            add(severity::warning, file, at,
                what + " at the end of the newest slab: the next open cuts " +
                    std::to_string(m.size() - at) +
                    " bytes off here. After a crash that is a torn write of unacknowledged saves; "
                    "after a clean close it is damage, and the saves in those bytes are lost" +
                    resumed_words);
            return;
        }
        if (newest_log) {
            add(severity::note, file, at, what + " (inside the damaged tail)" + resumed_words);
            return;
        }
        damaged = true;
        add(severity::error, file, at, what + resumed_words);
    };
    walk_records(bytes, cb);
    if (tail_warning && intact_after_tail) {
        problems_[*tail_warning].message += "; " + std::to_string(intact_after_tail) +
                                            " intact records after it would be cut off with it";
    }
    if (!r.sealed && !newest_log && r.size >= format::slab_header_size) {
        add(severity::error, file, m.size(), "slab ends without its seal record (only the newest log slab may)");
    }
}

asio::awaitable<void> checker::compare_index(fugu::store& s) {
    fugu::snapshot snap = co_await s.async_snapshot(asio::use_awaitable);
    if (snap.size() != expected_.size()) {
        add(severity::error, "", std::nullopt,
            "index: the store reports " + std::to_string(snap.size()) + " live keys, the records give " +
                std::to_string(expected_.size()));
    }
    std::size_t reported = 0;
    auto report = [&](const std::string& key, const std::string& why) {
        if (++reported <= 20) add(severity::error, "", std::nullopt, "index: key \"" + escape_text(key.substr(0, 64)) + "\" " + why);
    };
    // Read back with many reads in flight; one at a time each waits a full round trip.
    std::vector<const std::pair<const std::string, expected_value>*> work;
    work.reserve(expected_.size());
    for (const auto& kv : expected_) work.push_back(&kv);
    progress bar("verifying values", work.size(), !json_);
    co_await run_workers(work.size(), 64, [&](std::uint64_t i) -> asio::awaitable<void> {
        const std::string& key = work[i]->first;
        const expected_value want = work[i]->second;
        if (!snap.contains(key)) {
            report(key, "is live in the records but missing from the index");
            co_return;
        }
        diagnostics diag;
        auto [ec, v] = co_await snap.async_read(key, diag, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            add(severity::error, diag.file(), diag.file().empty() ? std::nullopt : std::optional(diag.offset()),
                "reading a value: " + describe(ec, diag, dir_));
            co_return;
        }
        if (!v || v->size() != want.length ||
            format::crc32c_mask(format::crc32c(v->data(), v->size())) != want.masked_crc) {
            report(key, "reads a value other than its newest record holds");
            co_return;
        }
        ++values_verified;
    }, bar);
    if (reported > 20)
        add(severity::error, "", std::nullopt, "index: " + std::to_string(reported - 20) + " more keys disagree");
}

void checker::print_human(bool index_checked, const std::string& index_summary) const {
    std::printf("checking %s\n", dir_.c_str());
    for (const auto& r : slabs_) {
        std::string what;
        if (r.header_ok) {
            what = std::string(kind_name(r.header.kind)) + ", generation" +
                   (r.header.min_generation == r.header.max_generation
                        ? " " + std::to_string(r.header.min_generation)
                        : "s " + std::to_string(r.header.min_generation) + ".." +
                              std::to_string(r.header.max_generation)) +
                   ", " + grouped(r.commits) + " records, " + grouped(r.entries) + " entries, " +
                   (r.sealed ? "sealed" : "unsealed");
        } else {
            what = r.role.empty() ? "unreadable header" : r.role;
        }
        std::printf("  %-26s %10s  %s%s  %s\n", r.file.name.c_str(), human_bytes(r.size).c_str(),
                    what.c_str(), r.role.empty() || !r.header_ok ? "" : (" [" + r.role + "]").c_str(),
                    r.problems ? "PROBLEMS" : "ok");
    }
    for (const auto& p : problems_) {
        std::string where = p.file.empty() ? dir_ : p.file;
        if (p.offset) where += ":" + std::to_string(*p.offset);
        std::printf("%s: %s: %s\n", std::string(severity_name(p.level)).c_str(), where.c_str(), p.message.c_str());
    }
    std::printf("index: %s\n", index_checked ? index_summary.c_str() : ("not checked: " + index_summary).c_str());
    const std::size_t e = count(severity::error), w = count(severity::warning);
    if (e == 0 && w == 0) std::printf("clean: every checksum passed and the index matches the records\n");
    else std::printf("NOT CLEAN: %zu error(s), %zu warning(s)\n", e, w);
}

void checker::print_json(bool index_checked, const std::string& index_summary, int status) const {
    json_writer j;
    j.begin_object();
    j.field("directory", dir_);
    j.field("clean", count(severity::error) == 0 && count(severity::warning) == 0);
    j.field("exit_code", status);
    j.field("errors", static_cast<std::uint64_t>(count(severity::error)));
    j.field("warnings", static_cast<std::uint64_t>(count(severity::warning)));
    j.key("slabs").begin_array();
    for (const auto& r : slabs_) {
        j.begin_object();
        j.field("file", r.file.path);
        j.field("id", r.file.id);
        j.field("size", r.size);
        j.field("temporary", r.file.temporary);
        j.field("header_ok", r.header_ok);
        if (r.header_ok) {
            j.field("kind", kind_name(r.header.kind));
            j.field("min_generation", r.header.min_generation);
            j.field("max_generation", r.header.max_generation);
            j.field("first_sequence", r.header.first_sequence);
        }
        j.field("role", r.role);
        j.field("records", r.commits);
        j.field("entries", r.entries);
        j.field("sealed", r.sealed);
        j.field("problems", static_cast<std::uint64_t>(r.problems));
        j.end_object();
    }
    j.end_array();
    j.key("problems").begin_array();
    for (const auto& p : problems_) {
        j.begin_object();
        j.field("severity", severity_name(p.level));
        j.field("file", p.file);
        j.key("offset");
        if (p.offset) j.value(*p.offset);
        else j.null();
        j.field("message", p.message);
        j.end_object();
    }
    j.end_array();
    j.key("index").begin_object();
    j.field("checked", index_checked);
    j.field("summary", index_summary);
    j.field("keys", replayed_keys());
    j.field("values_verified", values_verified);
    j.end_object();
    j.end_object();
}

int check(std::string_view name, std::span<char* const> argv) {
    args a(name, argv, with_options({{"json", 0, false}, {"no-index", 0, false}}, false, true));
    const std::string& dir = a.need(0, "DIR");
    a.at_most(1);
    require_store(dir);
    checker c(dir, a.has("json"));
    bool index_checked = false;
    std::string index_summary;

    run_async([&]() -> asio::awaitable<int> {
        auto ex = co_await asio::this_coro::executor;
        fugu::options opts = options_from(a);
        opts.background_compaction = false;
        auto ro = std::make_shared<readonly_storage>(ex, dir, opts);
        if (auto ec = ro->lock()) fail(ec, ro->last_diagnostics(), dir);
        c.scan_files(list_directory(dir));
        if (a.has("no-index")) {
            index_summary = "--no-index";
            co_return 0;
        }
        const bool damaged = c.count(severity::error) > 0;
        try {
            fugu::store s = co_await open_store(dir, a, open_mode::read_side, ro);
            if (damaged) {
                index_summary = "the store opens despite the errors above (they are in slabs it does not load)";
            } else {
                co_await c.compare_index(s);
                index_checked = true;
                index_summary = grouped(c.replayed_keys()) + " live keys, " + grouped(c.values_verified) +
                                " values read back through the index and matched";
            }
            co_await close_store(s, dir);
        } catch (const failure& f) {
            if (!damaged) c.add(severity::error, "", std::nullopt, std::string("the store does not open: ") + f.what());
            index_summary = f.code() == exit_code::corruption && damaged
                                ? "the store refuses to open, because of the errors above"
                                : std::string("the store does not open: ") + f.what();
        }
        co_return 0;
    });

    const int status = c.count(severity::error)     ? static_cast<int>(exit_code::corruption)
                       : c.count(severity::warning) ? static_cast<int>(exit_code::damaged_tail)
                                                    : 0;
    if (c.json()) c.print_json(index_checked, index_summary, status);
    else c.print_human(index_checked, index_summary);
    return status;
}

}  // namespace

command check_command() {
    static const std::string h = help_text(R"(fugu check - verify a store, byte by byte

Usage: fugu check DIR [--json] [--no-index]

Reads every slab file and verifies every checksum (slab header, each record's header
and body, seal record), the rules between records (sequences, seal counts, nothing
after a seal, only the newest log slab unsealed) and between slabs (generations). Then
it rebuilds the index as an open would, without changing anything on disk, and reads
every live value back through it, comparing it with what the records say.

Each problem is printed with its file and byte offset. Holds the store's lock while it
runs (exit 3 when another process has the store open).

Exit status: 0 clean; 5 errors (damage the store refuses to open with, or a wrong
index); 7 only warnings: the end of the newest slab is damaged and the next open will
cut it off. After a crash that is normal (a torn write of saves never acknowledged);
after a clean close it means acknowledged saves are damaged and would be lost.

Options:
  --json       one JSON object: clean, exit_code, errors, warnings, slabs[...],
               problems[{severity, file, offset, message}], index{...}
  --no-index   checksums only; skip the index rebuild

Examples:
  fugu check ./data && echo clean
  fugu check ./data --json
)", false, true);
    return {"check", "verify every checksum and the index rebuild (exit 0 only when clean)", h, check};
}

}  // namespace fugu::cli
