// SPDX-License-Identifier: MIT
// record        := record_header body
// record_header := header_crc: u32     @0   masked crc32c of header bytes [4, 40)
//                  type: u8            @4   1 commit, 2 seal
//                  flags: u8           @5   0
//                  reserved: u16       @6   0
//                  body_length: u32    @8
//                  body_crc: u32       @12  masked crc32c of the body
//                  sequence: u64       @16
//                  synced_upto: u64    @24
//                  put_count: u32      @32
//                  remove_count: u32   @36
// commit body   := put_entry[put_count] remove_entry[remove_count] value_block[put_count]
// put_entry     := key_length: u16, value_length: u32, key: u8[key_length]
// remove_entry  := key_length: u16, key: u8[key_length]
// value_block   := value_crc: u32 (masked crc32c of value), value: u8[value_length]
// seal body     := record_count: u64, data_end: u64, min_sequence: u64, max_sequence: u64
// All integers little-endian.
#include "format/record.hpp"

#include "format/crc32c.hpp"

#include <boost/system/errc.hpp>

#include <cassert>

namespace fugu::detail::format {
namespace {

constexpr std::size_t header_crc_at = 0;
constexpr std::size_t type_at = 4;
constexpr std::size_t flags_at = 5;
constexpr std::size_t reserved_at = 6;
constexpr std::size_t body_length_at = 8;
constexpr std::size_t body_crc_at = 12;
constexpr std::size_t sequence_at = 16;
constexpr std::size_t synced_upto_at = 24;
constexpr std::size_t put_count_at = 32;
constexpr std::size_t remove_count_at = 36;
constexpr std::size_t crc_covered_from = 4;

static_assert(remove_count_at + 4 == record_header_size);

std::uint32_t masked_crc(std::span<const std::byte> b) noexcept {
    return crc32c_mask(crc32c(b.data(), b.size()));
}

// Fills in the header of a record whose body is already in place after it.
void finish_record(std::span<std::byte> record, const record_header& h) noexcept {
    put_u8(record, type_at, static_cast<std::uint8_t>(h.type));
    put_u8(record, flags_at, 0);
    put_u16(record, reserved_at, 0);
    put_u32(record, body_length_at, h.body_length);
    put_u32(record, body_crc_at, masked_crc(record.subspan(record_header_size, h.body_length)));
    put_u64(record, sequence_at, h.sequence);
    put_u64(record, synced_upto_at, h.synced_upto);
    put_u32(record, put_count_at, h.put_count);
    put_u32(record, remove_count_at, h.remove_count);
    // Last: the header CRC covers body_crc.
    put_u32(record, header_crc_at,
            masked_crc(record.subspan(crc_covered_from, record_header_size - crc_covered_from)));
}

}  // namespace

record_header_decode decode_record_header(std::span<const std::byte> in) noexcept {
    if (in.size() < record_header_size) return {decode_truncated("record header cut short"), {}};
    const auto covered = in.subspan(crc_covered_from, record_header_size - crc_covered_from);
    if (crc32c_unmask(get_u32(in, header_crc_at)) != crc32c(covered.data(), covered.size())) {
        return {decode_corrupt("record header checksum mismatch"), {}};
    }
    record_header h;
    const std::uint8_t type = get_u8(in, type_at);
    if (type != static_cast<std::uint8_t>(record_type::commit) &&
        type != static_cast<std::uint8_t>(record_type::seal) &&
        type != static_cast<std::uint8_t>(record_type::sync_mark)) {
        return {decode_corrupt("unknown record type"), {}};
    }
    h.type = static_cast<record_type>(type);
    if (get_u8(in, flags_at) != 0 || get_u16(in, reserved_at) != 0) {
        return {decode_corrupt("record flags or reserved bytes not zero"), {}};
    }
    h.body_length = get_u32(in, body_length_at);
    h.body_crc = get_u32(in, body_crc_at);
    h.sequence = get_u64(in, sequence_at);
    h.synced_upto = get_u64(in, synced_upto_at);
    h.put_count = get_u32(in, put_count_at);
    h.remove_count = get_u32(in, remove_count_at);

    const std::uint64_t entries = std::uint64_t{h.put_count} + h.remove_count;
    if (h.type == record_type::seal) {
        if (entries != 0) return {decode_corrupt("seal record with entries"), {}};
        if (h.body_length != seal_body_size) return {decode_corrupt("seal body length wrong"), {}};
        return {decode_ok(), h};
    }
    if (h.type == record_type::sync_mark) {
        if (entries != 0 || h.body_length != 0) return {decode_corrupt("sync mark with a body"), {}};
        if (h.body_crc != crc32c_mask(crc32c(nullptr, 0))) return {decode_corrupt("sync mark checksum mismatch"), {}};
        return {decode_ok(), h};
    }
    if (entries == 0 || entries > fugu::max_change_set_entries) {
        return {decode_corrupt("commit entry count out of range"), {}};
    }
    if (h.body_length > max_record_body) return {decode_corrupt("body length out of range"), {}};
    const std::uint64_t least = std::uint64_t{h.put_count} * min_put_body_size +
                                std::uint64_t{h.remove_count} * remove_entry_fixed_size;
    if (h.body_length < least) {
        return {decode_corrupt("body length too small for its entry counts"), {}};
    }
    return {decode_ok(), h};
}

boost::system::result<std::size_t> commit_record_size(
    std::span<const put_ref> puts, std::span<const std::string_view> removes) noexcept {
    const std::size_t entries = puts.size() + removes.size();
    if (entries == 0)
        return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    if (entries > fugu::max_change_set_entries) return make_error_code(errc::change_set_too_large);
    // No overflow: at most 2^20 entries of at most 64 MiB each.
    std::size_t body = 0;
    for (const put_ref& p : puts) {
        if (p.key.size() > fugu::max_key_size) return make_error_code(errc::key_too_large);
        if (p.value.size() > fugu::max_value_size) return make_error_code(errc::value_too_large);
        body += min_put_body_size + p.key.size() + p.value.size();
    }
    for (std::string_view k : removes) {
        if (k.size() > fugu::max_key_size) return make_error_code(errc::key_too_large);
        body += remove_entry_fixed_size + k.size();
    }
    if (body > max_record_body) return make_error_code(errc::change_set_too_large);
    return record_header_size + body;
}

void encode_commit_record(std::span<std::byte> out,
                          std::span<const put_ref> puts,
                          std::span<const std::string_view> removes,
                          std::uint64_t sequence,
                          std::uint64_t synced_upto,
                          std::span<std::uint32_t> value_offsets) noexcept {
    assert(value_offsets.size() == puts.size());
    byte_writer w(out.subspan(record_header_size));
    for (const put_ref& p : puts) {
        w.write(static_cast<std::uint16_t>(p.key.size()));
        w.write(static_cast<std::uint32_t>(p.value.size()));
        w.write_bytes(as_bytes(p.key));
    }
    for (std::string_view k : removes) {
        w.write(static_cast<std::uint16_t>(k.size()));
        w.write_bytes(as_bytes(k));
    }
    for (std::size_t i = 0; i < puts.size(); ++i) {
        const std::string_view v = puts[i].value;
        w.write(crc32c_mask(crc32c(v.data(), v.size())));
        value_offsets[i] = static_cast<std::uint32_t>(record_header_size + w.position());
        w.write_bytes(as_bytes(v));
    }
    assert(record_header_size + w.position() == out.size());
    record_header h;
    h.type = record_type::commit;
    h.body_length = static_cast<std::uint32_t>(w.position());
    h.sequence = sequence;
    h.synced_upto = synced_upto;
    h.put_count = static_cast<std::uint32_t>(puts.size());
    h.remove_count = static_cast<std::uint32_t>(removes.size());
    finish_record(out, h);
}

boost::system::result<std::size_t> append_commit_record(std::vector<std::byte>& out,
                                                        std::span<const put_ref> puts,
                                                        std::span<const std::string_view> removes,
                                                        std::uint64_t sequence,
                                                        std::uint64_t synced_upto,
                                                        std::span<std::uint32_t> value_offsets) {
    const auto size = commit_record_size(puts, removes);
    if (!size) return size;
    const std::size_t at = out.size();
    out.resize(at + *size);
    encode_commit_record(std::span(out).subspan(at), puts, removes, sequence, synced_upto,
                         value_offsets);
    return size;
}

decode_status check_commit_body(const record_header& header,
                                std::span<const std::byte> body) noexcept {
    if (header.type != record_type::commit) return decode_corrupt("not a commit record");
    if (body.size() < header.body_length) return decode_truncated("record body cut short");
    body = body.first(header.body_length);
    if (crc32c_unmask(header.body_crc) != crc32c(body.data(), body.size())) {
        return decode_corrupt("record body checksum mismatch");
    }
    byte_reader r(body);
    std::uint64_t value_blocks = 0;
    for (std::uint32_t i = 0; i < header.put_count; ++i) {
        std::uint16_t key_length = 0;
        std::uint32_t value_length = 0;
        if (!r.read(key_length) || !r.read(value_length))
            return decode_corrupt("put entry past body end");
        if (key_length > fugu::max_key_size) return decode_corrupt("key length out of range");
        if (value_length > fugu::max_value_size) return decode_corrupt("value length out of range");
        if (!r.skip(key_length)) return decode_corrupt("key past body end");
        value_blocks += value_crc_size + std::uint64_t{value_length};
    }
    for (std::uint32_t i = 0; i < header.remove_count; ++i) {
        std::uint16_t key_length = 0;
        if (!r.read(key_length)) return decode_corrupt("remove entry past body end");
        if (key_length > fugu::max_key_size) return decode_corrupt("key length out of range");
        if (!r.skip(key_length)) return decode_corrupt("key past body end");
    }
    if (value_blocks != r.remaining())
        return decode_corrupt("entry lengths disagree with body length");
    return decode_ok();
}

decode_status verify_value_block(std::span<const std::byte> block) noexcept {
    if (block.size() < value_crc_size) return decode_truncated("value block cut short");
    const auto value = block.subspan(value_crc_size);
    if (crc32c_unmask(get_u32(block, 0)) != crc32c(value.data(), value.size())) {
        return decode_corrupt("value checksum mismatch");
    }
    return decode_ok();
}

void encode_seal_record(std::span<std::byte, seal_record_size> out,
                        const seal_body& seal,
                        std::uint64_t synced_upto) noexcept {
    std::span<std::byte> o = out;
    put_u64(o, record_header_size + 0, seal.record_count);
    put_u64(o, record_header_size + 8, seal.data_end);
    put_u64(o, record_header_size + 16, seal.min_sequence);
    put_u64(o, record_header_size + 24, seal.max_sequence);
    record_header h;
    h.type = record_type::seal;
    h.body_length = seal_body_size;
    h.sequence = seal.max_sequence;
    h.synced_upto = synced_upto;
    finish_record(o, h);
}

void append_seal_record(std::vector<std::byte>& out,
                        const seal_body& seal,
                        std::uint64_t synced_upto) {
    const std::size_t at = out.size();
    out.resize(at + seal_record_size);
    encode_seal_record(std::span(out).subspan(at).first<seal_record_size>(), seal, synced_upto);
}

void append_sync_mark(std::vector<std::byte>& out, std::uint64_t sequence, std::uint64_t synced_upto) {
    const std::size_t at = out.size();
    out.resize(at + sync_mark_size);
    record_header h;
    h.type = record_type::sync_mark;
    h.sequence = sequence;
    h.synced_upto = synced_upto;
    finish_record(std::span(out).subspan(at, sync_mark_size), h);
}

seal_body_decode decode_seal_body(const record_header& header,
                                  std::span<const std::byte> body) noexcept {
    if (header.type != record_type::seal || header.body_length != seal_body_size) {
        return {decode_corrupt("not a seal record"), {}};
    }
    if (body.size() < seal_body_size) return {decode_truncated("seal body cut short"), {}};
    body = body.first(seal_body_size);
    if (crc32c_unmask(header.body_crc) != crc32c(body.data(), body.size())) {
        return {decode_corrupt("seal checksum mismatch"), {}};
    }
    seal_body s;
    s.record_count = get_u64(body, 0);
    s.data_end = get_u64(body, 8);
    s.min_sequence = get_u64(body, 16);
    s.max_sequence = get_u64(body, 24);
    if (header.sequence != s.max_sequence)
        return {decode_corrupt("seal sequence disagrees with its body"), {}};
    if (s.data_end < slab_header_size)
        return {decode_corrupt("seal data_end inside the slab header"), {}};
    if (s.record_count > (s.data_end - slab_header_size) / min_commit_record_size) {
        return {decode_corrupt("seal record_count too large for data_end"), {}};
    }
    if (s.record_count > 0 && s.min_sequence > s.max_sequence) {
        return {decode_corrupt("seal min_sequence above max_sequence"), {}};
    }
    return {decode_ok(), s};
}

}  // namespace fugu::detail::format
