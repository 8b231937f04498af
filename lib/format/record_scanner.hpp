// SPDX-License-Identifier: MIT
// Walks the records in a buffer of slab bytes, for recovery and checking tools, and
// searches past a damaged spot for the next plausible record header (to tell a torn tail
// from damage to synced data). The scanner views the caller's buffer and owns only its
// cursor; one scanner is used by one thread at a time.
#pragma once

#include "format/decode_status.hpp"
#include "format/record.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace fugu::detail::format {

struct scanned_record {
    std::uint64_t offset = 0;         // slab offset of the record's first byte
    decode_status status;             // the record as a whole: header, then body
    bool header_valid = false;        // the header decoded, whatever became of the body
    record_header header;             // meaningful when header_valid
    std::span<const std::byte> body;  // exactly body_length bytes; set when status.ok()
};

// Steps through whole records. `bytes` holds the slab from slab offset `base` on (usually
// slab_header_size). A commit body is checked with check_commit_body, a seal body with
// decode_seal_body, so an ok record's body can be visited without further checks.
//
// A record that runs past the end of `bytes` is reported truncated. When `bytes` is not
// the end of the file, that only means more bytes are needed: read on from offset() and
// scan again. After any record that is not ok, next() returns nothing more.
class record_scanner {
  public:
    record_scanner(std::span<const std::byte> bytes, std::uint64_t base) noexcept
        : bytes_(bytes), base_(base) {}

    // The next record, or nullopt at the end of the bytes or after a failed record.
    std::optional<scanned_record> next() noexcept;

    // Slab offset just past the last ok record: where a failed record, or the end of the
    // good data, begins.
    std::uint64_t offset() const noexcept { return base_ + pos_; }

    // True when every byte was consumed by ok records.
    bool at_end() const noexcept { return pos_ == bytes_.size(); }

  private:
    std::span<const std::byte> bytes_;
    std::uint64_t base_;
    std::size_t pos_ = 0;
    bool stopped_ = false;
};

struct found_header {
    std::uint64_t offset = 0;  // slab offset
    record_header header;
};

// Tries every slab offset from `from` on (pass the damaged offset plus one) and returns
// the first whose record_header_size bytes decode, and whose synced_upto does not claim
// bytes at or past the header itself were synced before it was written. `bytes` holds
// the slab from slab offset `base` on. The body is not required to be present or valid.
std::optional<found_header> find_next_valid_header(std::span<const std::byte> bytes,
                                                   std::uint64_t from,
                                                   std::uint64_t base) noexcept;

}  // namespace fugu::detail::format
