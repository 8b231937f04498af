// SPDX-License-Identifier: MIT
// The record walk behind recovery. It never reads past the caller's buffer and never
// sizes anything from an unchecked length: a body is only looked at once its header has
// passed its CRC and its limits.
#include "format/record_scanner.hpp"

namespace fugu::detail::format {

std::optional<scanned_record> record_scanner::next() noexcept {
    if (stopped_ || pos_ == bytes_.size()) return std::nullopt;
    scanned_record r;
    r.offset = base_ + pos_;
    const auto rest = bytes_.subspan(pos_);
    const record_header_decode h = decode_record_header(rest);
    if (!h.status.ok()) {
        stopped_ = true;
        r.status = h.status;
        return r;
    }
    r.header_valid = true;
    r.header = h.header;
    if (h.header.synced_upto > r.offset) {
        // A writer only knows bytes before the record it is writing to be synced.
        stopped_ = true;
        r.status = decode_corrupt("record claims bytes after it were synced");
        return r;
    }
    const auto body = rest.subspan(record_header_size);
    if (h.header.type == record_type::commit) {
        r.status = check_commit_body(h.header, body);
    } else if (h.header.type == record_type::sync_mark) {
        r.status = decode_ok();
    } else {
        r.status = decode_seal_body(h.header, body).status;
    }
    if (!r.status.ok()) {
        stopped_ = true;
        return r;
    }
    r.body = body.first(h.header.body_length);
    pos_ += record_header_size + h.header.body_length;
    return r;
}

std::optional<found_header> find_next_valid_header(std::span<const std::byte> bytes,
                                                   std::uint64_t from,
                                                   std::uint64_t base) noexcept {
    if (from < base) from = base;
    if (bytes.size() < record_header_size) return std::nullopt;
    const std::uint64_t last = base + (bytes.size() - record_header_size);
    for (std::uint64_t at = from; at <= last; ++at) {
        const auto window = bytes.subspan(static_cast<std::size_t>(at - base), record_header_size);
        // A cheap filter ahead of the CRC; decode_record_header checks the same bytes
        // again after the CRC, so the answer is unchanged.
        const auto type = static_cast<record_type>(window[4]);
        if ((type != record_type::commit && type != record_type::seal &&
             type != record_type::sync_mark) ||
            window[5] != std::byte{0} || window[6] != std::byte{0} || window[7] != std::byte{0}) {
            continue;
        }
        const record_header_decode h = decode_record_header(window);
        if (h.status.ok() && h.header.synced_upto <= at) return found_header{at, h.header};
    }
    return std::nullopt;
}

}  // namespace fugu::detail::format
