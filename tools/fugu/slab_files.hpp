// SPDX-License-Identifier: MIT
// Reading slab files directly, for `check` and `dump`: listing a store directory,
// mapping a slab file read-only, and walking its records through lib/format, past
// damage to the next plausible record so that every problem in a file is seen.
// Single-threaded; a mapped_file owns its mapping.
#pragma once

#include "format/record.hpp"
#include "format/record_scanner.hpp"
#include "format/slab_header.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fugu::cli {

namespace format = fugu::detail::format;

struct listed_file {
    std::string name;  // as in the directory
    std::string path;  // directory + "/" + name
    std::uint64_t id = 0;
    bool temporary = false;
};

struct directory_listing {
    std::vector<listed_file> slabs;         // sorted by id, temporary after permanent
    std::vector<std::string> other_names;   // neither LOCK nor a slab: ignored by Fugu
    bool has_lock_file = false;
};

// Throws failure(io_error) when the directory cannot be read.
directory_listing list_directory(const std::string& dir);

// A whole file mapped read-only. Empty files map to an empty span.
class mapped_file {
public:
    // Throws failure(io_error) naming the file.
    explicit mapped_file(const std::string& path);
    ~mapped_file();
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;

    std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    std::uint64_t size() const noexcept { return size_; }

private:
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

// What walk_records reports, in file order.
struct walk_callbacks {
    // A record that passed every check of lib/format (header CRC, body CRC, lengths).
    std::function<void(const format::scanned_record&)> record;
    // A record at `offset` that failed (`truncated` when it runs past the end of the
    // file). `resumed_at` is where the next plausible record header was found, or
    // nullopt when none follows and the walk ends.
    std::function<void(std::uint64_t offset, std::string_view reason, bool truncated,
                       std::optional<std::uint64_t> resumed_at)>
        damage;
};

// Walks the records of a slab from offset slab_header_size to the end of `file`.
void walk_records(std::span<const std::byte> file, const walk_callbacks& cb);

// Whether any record header after `damage_at` passes its checks and says the bytes at
// `damage_at` had been synced when it was written: then damage in the newest log slab
// is damage to durable data, not a torn tail (the rule recovery applies).
std::optional<std::uint64_t> later_record_proving_synced(std::span<const std::byte> file,
                                                         std::uint64_t damage_at);

// "log" or "merged".
std::string_view kind_name(format::slab_kind k);

}  // namespace fugu::cli
