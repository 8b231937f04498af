// SPDX-License-Identifier: MIT
// Records: the encoder the writer and compaction append with, and the pull decoder that
// recovery and reads use on untrusted bytes. The decoder never allocates and never sizes
// anything from a length it has not checked. Pure functions; no I/O, no state.
#pragma once

#include "format/coding.hpp"
#include "format/decode_status.hpp"
#include "format/format.hpp"

#include <fugu/error.hpp>

#include <boost/system/result.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace fugu::detail::format {

struct record_header {
    record_type type = record_type::commit;
    std::uint32_t body_length = 0;
    std::uint32_t body_crc = 0;     // masked, as stored
    std::uint64_t sequence = 0;     // a seal's is the slab's max_sequence
    std::uint64_t synced_upto = 0;  // slab offset below which all was durable; 0 if merged
    std::uint32_t put_count = 0;
    std::uint32_t remove_count = 0;

    std::uint64_t record_size() const noexcept { return record_header_size + body_length; }
    friend bool operator==(const record_header&, const record_header&) = default;
};

struct record_header_decode {
    decode_status status;
    record_header header;  // meaningful only when status.ok()
};

// Decodes the first record_header_size bytes of `in`. Truncated when `in` is shorter.
// Checks the header CRC before believing any field, then the type, flags and reserved
// bytes, the entry counts and the body length, so that a header that passes can be used
// to size a read of its body.
record_header_decode decode_record_header(std::span<const std::byte> in) noexcept;

// ---- Commit records ----

// A put as the encoder takes it. Keys and values are byte strings held by the caller.
struct put_ref {
    std::string_view key;
    std::string_view value;
};

// Encoded size of the commit record for these entries, or why it cannot be encoded:
// errc::key_too_large, errc::value_too_large, errc::change_set_too_large (too many
// entries, or a body over max_record_body), or std::errc::invalid_argument when there
// are no entries at all (an empty change set has no record).
boost::system::result<std::size_t> commit_record_size(
    std::span<const put_ref> puts, std::span<const std::string_view> removes) noexcept;

// Writes the commit record into `out`, which must be exactly the size computed by
// commit_record_size for the same entries. value_offsets[i] receives the offset of the
// bytes of puts[i].value relative to the start of the record (the value's CRC sits in
// the 4 bytes before it).
// REQUIRES: commit_record_size(puts, removes) succeeded and equals out.size();
// value_offsets.size() == puts.size(). Keys are distinct (not checked here).
void encode_commit_record(std::span<std::byte> out,
                          std::span<const put_ref> puts,
                          std::span<const std::string_view> removes,
                          std::uint64_t sequence,
                          std::uint64_t synced_upto,
                          std::span<std::uint32_t> value_offsets) noexcept;

// Checks the entries, grows `out` by the record and encodes it in place. Returns the
// record's size; on error `out` is unchanged. Offsets as for encode_commit_record.
// REQUIRES: value_offsets.size() == puts.size().
boost::system::result<std::size_t> append_commit_record(std::vector<std::byte>& out,
                                                        std::span<const put_ref> puts,
                                                        std::span<const std::string_view> removes,
                                                        std::uint64_t sequence,
                                                        std::uint64_t synced_upto,
                                                        std::span<std::uint32_t> value_offsets);

// One put found in a decoded commit body. The key views the body.
struct put_view {
    std::string_view key;
    std::uint32_t value_offset_in_body;  // first value byte; its CRC is the 4 bytes before
    std::uint32_t value_length;
};

// One remove found in a decoded commit body. The key views the body.
struct remove_view {
    std::string_view key;
};

// Verifies a commit body: type, that `body` holds header.body_length bytes (truncated
// otherwise), the body CRC, then every length against what remains, and that the parts
// add up to body_length exactly. Only the first header.body_length bytes are read.
// REQUIRES: `header` came from a successful decode_record_header.
decode_status check_commit_body(const record_header& header,
                                std::span<const std::byte> body) noexcept;

// Calls visitor(put_view) for each put in record order, then visitor(remove_view) for
// each remove. A reader applying the record follows the same order.
// REQUIRES: check_commit_body(header, body) was ok. (Misuse cannot read out of bounds:
// the walk stops at the end of the body.)
template <class Visitor>
void visit_commit_body(const record_header& header,
                       std::span<const std::byte> body,
                       Visitor&& visitor) {
    const std::span<const std::byte> bytes =
        body.first(std::min<std::size_t>(body.size(), header.body_length));
    byte_reader entries(bytes);
    // Value blocks follow all entries; find where they start before yielding any put.
    std::uint64_t entries_size = 0;
    {
        byte_reader walk = entries;
        for (std::uint32_t i = 0; i < header.put_count; ++i) {
            std::uint16_t key_length = 0;
            std::uint32_t value_length = 0;
            if (!walk.read(key_length) || !walk.read(value_length) || !walk.skip(key_length))
                return;
        }
        for (std::uint32_t i = 0; i < header.remove_count; ++i) {
            std::uint16_t key_length = 0;
            if (!walk.read(key_length) || !walk.skip(key_length)) return;
        }
        entries_size = walk.position();
    }
    std::uint64_t value_at = entries_size;
    for (std::uint32_t i = 0; i < header.put_count; ++i) {
        std::uint16_t key_length = 0;
        std::uint32_t value_length = 0;
        std::span<const std::byte> key;
        if (!entries.read(key_length) || !entries.read(value_length) ||
            !entries.read_bytes(key_length, key)) {
            return;
        }
        value_at += value_crc_size;
        if (value_at + value_length > bytes.size()) return;
        visitor(put_view{as_chars(key), static_cast<std::uint32_t>(value_at), value_length});
        value_at += value_length;
    }
    for (std::uint32_t i = 0; i < header.remove_count; ++i) {
        std::uint16_t key_length = 0;
        std::span<const std::byte> key;
        if (!entries.read(key_length) || !entries.read_bytes(key_length, key)) return;
        visitor(remove_view{as_chars(key)});
    }
}

// check_commit_body, then visit_commit_body when it passed. Nothing is visited from a
// body that fails, so a reader never applies part of a damaged record.
template <class Visitor>
decode_status decode_commit_body(const record_header& header,
                                 std::span<const std::byte> body,
                                 Visitor&& visitor) {
    const decode_status status = check_commit_body(header, body);
    if (status.ok()) visit_commit_body(header, body, visitor);
    return status;
}

// Checks a value block as a read fetches it: its 4-byte masked CRC followed by the value
// bytes. Truncated when shorter than the CRC; corrupt when the CRC does not match.
decode_status verify_value_block(std::span<const std::byte> block) noexcept;

// ---- Seal records ----

struct seal_body {
    std::uint64_t record_count = 0;  // commit records in the slab
    std::uint64_t data_end = 0;      // slab offset of the seal record itself
    std::uint64_t min_sequence = 0;  // first_sequence when there are no commit records
    std::uint64_t max_sequence = 0;  // first_sequence - 1 (0 if that is 0) when none

    friend bool operator==(const seal_body&, const seal_body&) = default;
};

// The seal record's header.sequence is seal.max_sequence. synced_upto is 0 in merged
// slabs.
void encode_seal_record(std::span<std::byte, seal_record_size> out,
                        const seal_body& seal,
                        std::uint64_t synced_upto) noexcept;
void append_seal_record(std::vector<std::byte>& out,
                        const seal_body& seal,
                        std::uint64_t synced_upto);

// A sync mark: a record of type sync_mark with no entries and no body, whose
// synced_upto is its own offset. The writer appends one (after an fdatasync) when it
// closes a log slab it will not seal, and recovery whenever the tail it reopens does not
// already end in one (after a crash, or saves under os_buffered), once it has synced the
// slab, so that every record before it is vouched for: damage there is then corruption,
// never a torn tail.
// `sequence` is the slab's highest commit sequence so far (first_sequence - 1 if none).
void append_sync_mark(std::vector<std::byte>& out, std::uint64_t sequence, std::uint64_t synced_upto);

struct seal_body_decode {
    decode_status status;
    seal_body seal;  // meaningful only when status.ok()
};

// Verifies the type, length and CRC of a seal body and the checks that need no other
// record: header.sequence == max_sequence, data_end past the slab header, record_count
// small enough to fit before data_end, and min_sequence <= max_sequence when there are
// records. Whether record_count and data_end match the slab is for the caller to check.
// REQUIRES: `header` came from a successful decode_record_header.
seal_body_decode decode_seal_body(const record_header& header,
                                  std::span<const std::byte> body) noexcept;

}  // namespace fugu::detail::format
