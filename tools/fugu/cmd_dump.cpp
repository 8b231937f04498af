// SPDX-License-Identifier: MIT
// dump: slabs and their records, human-readable, straight from the files. Takes no lock,
// so it also works on a store that is open elsewhere (the newest slab may then be
// mid-write); it never writes.
#include "cli.hpp"
#include "format/coding.hpp"
#include "output.hpp"
#include "slab_files.hpp"
#include "storage/slab_name.hpp"
#include "store_access.hpp"

#include <cstdio>

namespace fugu::cli {

namespace {

void dump_slab(const listed_file& f, bool entries, bool values, std::size_t max_value) {
    mapped_file m(f.path);
    std::printf("%s  %s%s\n", f.path.c_str(), grouped(m.size()).c_str(), " bytes");
    if (f.temporary) std::printf("  (unpublished compaction output)\n");
    auto h = format::decode_slab_header(m.bytes());
    if (!h.status.ok()) {
        std::printf("  header: DAMAGED (%s)\n\n", std::string(h.status.reason).c_str());
        return;
    }
    const auto& hd = h.header;
    std::printf("  header: kind=%s id=%llu generations=%llu..%llu first_sequence=%llu\n",
                std::string(kind_name(hd.kind)).c_str(), static_cast<unsigned long long>(hd.slab_id),
                static_cast<unsigned long long>(hd.min_generation),
                static_cast<unsigned long long>(hd.max_generation),
                static_cast<unsigned long long>(hd.first_sequence));
    bool sealed = false;
    walk_callbacks cb;
    cb.record = [&](const format::scanned_record& r) {
        const auto& rh = r.header;
        if (rh.type == format::record_type::seal) {
            sealed = true;
            const auto s = format::decode_seal_body(rh, r.body).seal;
            std::printf("  @%-10llu seal    records=%llu data_end=%llu sequences=%llu..%llu synced_upto=%llu\n",
                        static_cast<unsigned long long>(r.offset),
                        static_cast<unsigned long long>(s.record_count),
                        static_cast<unsigned long long>(s.data_end),
                        static_cast<unsigned long long>(s.min_sequence),
                        static_cast<unsigned long long>(s.max_sequence),
                        static_cast<unsigned long long>(rh.synced_upto));
            return;
        }
        if (rh.type == format::record_type::sync_mark) {
            std::printf("  @%-10llu sync    everything before it is durable (seq=%llu synced_upto=%llu)\n",
                        static_cast<unsigned long long>(r.offset), static_cast<unsigned long long>(rh.sequence),
                        static_cast<unsigned long long>(rh.synced_upto));
            return;
        }
        std::printf("  @%-10llu commit  seq=%llu puts=%u removes=%u body=%u synced_upto=%llu\n",
                    static_cast<unsigned long long>(r.offset), static_cast<unsigned long long>(rh.sequence),
                    rh.put_count, rh.remove_count, rh.body_length,
                    static_cast<unsigned long long>(rh.synced_upto));
        if (!entries) return;
        const std::uint64_t body_at = r.offset + format::record_header_size;
        format::visit_commit_body(rh, r.body, [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, format::put_view>) {
                std::printf("      put %s  (%u-byte value @%llu)", escape_text(e.key).c_str(), e.value_length,
                            static_cast<unsigned long long>(body_at + e.value_offset_in_body));
                if (values) {
                    const auto v = format::as_chars(r.body.subspan(e.value_offset_in_body, e.value_length));
                    const bool cut = v.size() > max_value;
                    std::printf(" = %s%s", escape_text(v.substr(0, max_value)).c_str(), cut ? "..." : "");
                }
                std::printf("\n");
            } else {
                std::printf("      del %s\n", escape_text(e.key).c_str());
            }
        });
    };
    cb.damage = [&](std::uint64_t at, std::string_view reason, bool truncated,
                    std::optional<std::uint64_t> resumed) {
        std::printf("  @%-10llu DAMAGED %s: %s", static_cast<unsigned long long>(at),
                    truncated ? "truncated" : "corrupt", std::string(reason).c_str());
        if (resumed) std::printf("; next plausible record at @%llu\n", static_cast<unsigned long long>(*resumed));
        else std::printf("; nothing plausible follows (%llu bytes to the end)\n",
                         static_cast<unsigned long long>(m.size() - at));
    };
    walk_records(m.bytes(), cb);
    std::printf("  end at %llu, %s\n\n", static_cast<unsigned long long>(m.size()), sealed ? "sealed" : "unsealed");
}

int dump(std::string_view name, std::span<char* const> argv) {
    args a(name, argv,
           with_options({{"slab", 's', true}, {"entries", 'E', false}, {"values", 'v', false},
                         {"max-value-bytes", 0, true}},
                        false, false));
    const std::string& dir = a.need(0, "DIR");
    a.at_most(1);
    require_store(dir);
    const directory_listing listing = list_directory(dir);
    const bool values = a.has("values");
    const bool entries = a.has("entries") || values;
    const std::size_t max_value = a.get_uint("max-value-bytes", 64, true);
    std::optional<std::uint64_t> only;
    if (auto s = a.get("slab")) {
        auto parsed = detail::parse_slab_file_name(*s);
        if (parsed) only = parsed->id;
        else only = a.get_uint("slab", 0);
    }
    std::printf("store %s: %zu slab file(s)%s\n\n", dir.c_str(), listing.slabs.size(),
                listing.has_lock_file ? "" : ", no LOCK file");
    bool found = false;
    for (const auto& f : listing.slabs) {
        if (only && f.id != *only) continue;
        found = true;
        dump_slab(f, entries, values, max_value);
    }
    for (const auto& n : listing.other_names) std::printf("(ignored: %s)\n", n.c_str());
    if (only && !found) throw failure(exit_code::not_found, "no slab " + std::to_string(*only) + " in " + dir);
    return 0;
}

}  // namespace

command dump_command() {
    static const std::string h = help_text(R"(fugu dump - print slabs and records, for debugging

Usage: fugu dump DIR [options]

Prints every slab file: its header (kind, id, generations, first sequence), then each
record at its byte offset (commit: sequence, counts, body length, synced_upto; seal:
record count, data end, sequence range). Damaged records are shown where they are,
and the walk resumes at the next plausible record. Reads the files only; takes no
lock, so it works on a store that is open elsewhere.

Options:
  -s, --slab ID|NAME       only this slab (id in decimal, or the file name)
  -E, --entries            list the puts and removes of each commit (keys escaped)
  -v, --values             also print values (implies --entries)
  --max-value-bytes N      cut printed values after N bytes (default 64)

Examples:
  fugu dump ./data
  fugu dump ./data --slab 3 --values
)", false, false);
    return {"dump", "print slabs and records, human-readable, for debugging", h, dump};
}

}  // namespace fugu::cli
