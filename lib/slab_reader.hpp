// SPDX-License-Identifier: MIT
// Reads one slab front to back through a sliding buffer, for recovery and compaction.
// Owned by one coroutine at a time.
#pragma once

#include "io/await.hpp"

#include <fugu/storage.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fugu::detail {

// Slabs are read through one buffer of this size (or of the largest record, whose size is
// checked against the file before the buffer grows to it).
inline constexpr std::size_t read_chunk = std::size_t{4} << 20;

// Sequential reader over one slab with a sliding buffer.
class slab_reader {
public:
    explicit slab_reader(fugu::slab& s) : slab_(s), size_(s.size()) {}

    std::uint64_t size() const noexcept { return size_; }

    // Makes [offset, offset + n) available; n must fit in the slab.
    boost::asio::awaitable<boost::system::result<std::span<const std::byte>>> get(std::uint64_t offset, std::size_t n) {
        if (offset < start_ || offset + n > start_ + len_) {
            const std::size_t want =
                static_cast<std::size_t>(std::min<std::uint64_t>(std::max(n, read_chunk),
                                                                 size_ - offset));
            if (buf_.size() < want) buf_.resize(want);
            std::size_t got = 0;
            while (got < want) {
                auto r = co_await read_at(slab_, offset + got,
                                          std::span(buf_.data() + got, want - got));
                if (r.ec) co_return r.ec;
                if (r.bytes == 0) break;
                got += r.bytes;
            }
            start_ = offset;
            len_ = got;
            if (got < n) co_return make_error_code(boost::system::errc::io_error);
        }
        co_return std::span<const std::byte>(buf_.data() + (offset - start_), n);
    }

private:
    fugu::slab& slab_;
    std::uint64_t size_;
    std::vector<std::byte> buf_;
    std::uint64_t start_ = 0;
    std::size_t len_ = 0;
};

}  // namespace fugu::detail
