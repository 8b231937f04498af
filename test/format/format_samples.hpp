// SPDX-License-Identifier: MIT
// Helpers shared by the format tests: byte buffers from text, re-sealing checksums after a
// test has edited fields on purpose, a seeded random change-set generator, and a small
// slab built from known records. Everything here is a plain value; nothing is shared.
#pragma once

#include "format/coding.hpp"
#include "format/crc32c.hpp"
#include "format/format.hpp"
#include "format/record.hpp"
#include "format/slab_header.hpp"

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fugu::test::format {

namespace fmt = fugu::detail::format;

inline std::vector<std::byte> bytes_of(std::string_view s) {
    auto b = fmt::as_bytes(s);
    return {b.begin(), b.end()};
}

inline std::uint32_t masked_crc(std::span<const std::byte> b) {
    return fmt::crc32c_mask(fmt::crc32c(b.data(), b.size()));
}

// Recomputes the body CRC (over the body bytes present) and then the header CRC of the
// record at the start of `record`, so a test can plant lying fields that pass checksums.
inline void reseal_record(std::span<std::byte> record, bool body_too = true) {
    if (body_too) {
        const std::uint32_t body_length = fmt::get_u32(record, 8);
        const std::size_t have = record.size() - fmt::record_header_size;
        const std::size_t n = body_length < have ? body_length : have;
        fmt::put_u32(record, 12, masked_crc(record.subspan(fmt::record_header_size, n)));
    }
    fmt::put_u32(record, 0, masked_crc(record.subspan(4, fmt::record_header_size - 4)));
}

inline void reseal_slab_header(std::span<std::byte> header) {
    fmt::put_u32(header, 60, masked_crc(header.first(60)));
}

// A change set in the encoder's terms, owning its bytes.
struct sample_change_set {
    std::vector<std::string> put_keys;
    std::vector<std::string> put_values;
    std::vector<std::string> remove_keys;

    std::vector<fmt::put_ref> puts() const {
        std::vector<fmt::put_ref> r;
        for (std::size_t i = 0; i < put_keys.size(); ++i) r.push_back({put_keys[i], put_values[i]});
        return r;
    }
    std::vector<std::string_view> removes() const {
        return {remove_keys.begin(), remove_keys.end()};
    }
};

inline std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xffu);
    return s;
}

// Random entries with distinct keys. Keys and values are arbitrary bytes, NUL included;
// lengths lean towards the edges (empty, one byte, max_key_size).
inline sample_change_set random_change_set(std::mt19937_64& rng) {
    sample_change_set cs;
    auto key_length = [&] {
        switch (rng() % 6) {
            case 0:
                return std::size_t{0};
            case 1:
                return std::size_t{1};
            case 2:
                return fugu::max_key_size;
            default:
                return static_cast<std::size_t>(rng() % 40);
        }
    };
    auto value_length = [&] {
        switch (rng() % 4) {
            case 0:
                return std::size_t{0};
            case 1:
                return static_cast<std::size_t>(rng() % 5000);
            default:
                return static_cast<std::size_t>(rng() % 64);
        }
    };
    std::vector<std::string> seen;
    auto fresh_key = [&] {
        for (;;) {
            std::string k = random_bytes(rng, key_length());
            bool dup = false;
            for (const auto& s : seen) dup = dup || s == k;
            if (!dup) {
                seen.push_back(k);
                return k;
            }
        }
    };
    const std::size_t puts = rng() % 12;
    const std::size_t removes = puts == 0 ? 1 + rng() % 5 : rng() % 5;
    for (std::size_t i = 0; i < puts; ++i) {
        cs.put_keys.push_back(fresh_key());
        cs.put_values.push_back(random_bytes(rng, value_length()));
    }
    for (std::size_t i = 0; i < removes; ++i) cs.remove_keys.push_back(fresh_key());
    return cs;
}

// Appends the commit record of `cs` to `out`; returns the value offsets relative to the
// record.
inline std::vector<std::uint32_t> append_commit(std::vector<std::byte>& out,
                                                const sample_change_set& cs,
                                                std::uint64_t sequence,
                                                std::uint64_t synced_upto) {
    const auto puts = cs.puts();
    const auto removes = cs.removes();
    std::vector<std::uint32_t> offsets(puts.size());
    auto r = fmt::append_commit_record(out, puts, removes, sequence, synced_upto, offsets);
    if (!r) throw std::runtime_error("append_commit_record failed: " + r.error().message());
    return offsets;
}

// The change set of the worked example in docs/format.md: put "fruit" = "apple",
// remove "old".
inline sample_change_set example_change_set() {
    sample_change_set cs;
    cs.put_keys = {"fruit"};
    cs.put_values = {"apple"};
    cs.remove_keys = {"old"};
    return cs;
}

// A log slab as the writer leaves it: header, `count` commit records (sequences from
// first_sequence on, each claiming everything before it synced) and, if `sealed`, a
// seal. Returns the slab bytes and each commit record's offset.
struct sample_slab {
    std::vector<std::byte> bytes;
    std::vector<std::uint64_t> record_offsets;
};

inline sample_slab make_log_slab(std::mt19937_64& rng,
                                 std::size_t count,
                                 bool sealed,
                                 std::uint64_t first_sequence = 100) {
    sample_slab s;
    s.bytes.resize(fmt::slab_header_size);
    fmt::slab_header h;
    h.kind = fmt::slab_kind::log;
    h.slab_id = 7;
    h.min_generation = h.max_generation = 3;
    h.first_sequence = first_sequence;
    fmt::encode_slab_header(h, std::span(s.bytes).first<fmt::slab_header_size>());
    for (std::size_t i = 0; i < count; ++i) {
        s.record_offsets.push_back(s.bytes.size());
        append_commit(s.bytes, random_change_set(rng), first_sequence + i, s.bytes.size());
    }
    if (sealed) {
        fmt::seal_body seal;
        seal.record_count = count;
        seal.data_end = s.bytes.size();
        seal.min_sequence = first_sequence;
        seal.max_sequence = count ? first_sequence + count - 1 : first_sequence - 1;
        fmt::append_seal_record(s.bytes, seal, s.bytes.size());
    }
    return s;
}

}  // namespace fugu::test::format
