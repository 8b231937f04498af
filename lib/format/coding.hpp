// SPDX-License-Identifier: MIT
// Little-endian fixed-width integers on std::byte spans, and a bounds-checked reader for
// bytes that came from disk. Written shift by shift so the layout is the same on any
// host; compilers turn each into a single load or store. No state beyond the cursor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

namespace fugu::detail::format {

template <class T>
requires std::is_unsigned_v<T>
constexpr void put_le(std::byte* p, T v) noexcept {
    for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}

template <class T>
requires std::is_unsigned_v<T>
constexpr T get_le(const std::byte* p) noexcept {
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
        v |= static_cast<T>(static_cast<T>(p[i]) << (8 * i));
    return v;
}

// REQUIRES (all of these): offset + the width <= the span's size.
inline void put_u8(std::span<std::byte> out, std::size_t offset, std::uint8_t v) noexcept {
    out[offset] = static_cast<std::byte>(v);
}
inline void put_u16(std::span<std::byte> out, std::size_t offset, std::uint16_t v) noexcept {
    put_le(out.data() + offset, v);
}
inline void put_u32(std::span<std::byte> out, std::size_t offset, std::uint32_t v) noexcept {
    put_le(out.data() + offset, v);
}
inline void put_u64(std::span<std::byte> out, std::size_t offset, std::uint64_t v) noexcept {
    put_le(out.data() + offset, v);
}

inline std::uint8_t get_u8(std::span<const std::byte> in, std::size_t offset) noexcept {
    return static_cast<std::uint8_t>(in[offset]);
}
inline std::uint16_t get_u16(std::span<const std::byte> in, std::size_t offset) noexcept {
    return get_le<std::uint16_t>(in.data() + offset);
}
inline std::uint32_t get_u32(std::span<const std::byte> in, std::size_t offset) noexcept {
    return get_le<std::uint32_t>(in.data() + offset);
}
inline std::uint64_t get_u64(std::span<const std::byte> in, std::size_t offset) noexcept {
    return get_le<std::uint64_t>(in.data() + offset);
}

inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::string_view as_chars(std::span<const std::byte> b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Reads untrusted bytes front to back. Every read first checks what remains, so no
// length taken from the input can move the cursor past the end; a failed read leaves
// the cursor where it was and returns false.
class byte_reader {
  public:
    explicit byte_reader(std::span<const std::byte> in) noexcept : in_(in) {}

    std::size_t position() const noexcept { return pos_; }
    std::size_t remaining() const noexcept { return in_.size() - pos_; }

    template <class T>
    requires std::is_unsigned_v<T>
    bool read(T& v) noexcept {
        if (remaining() < sizeof(T)) return false;
        v = get_le<T>(in_.data() + pos_);
        pos_ += sizeof(T);
        return true;
    }

    bool read_bytes(std::size_t n, std::span<const std::byte>& out) noexcept {
        if (remaining() < n) return false;
        out = in_.subspan(pos_, n);
        pos_ += n;
        return true;
    }

    bool skip(std::size_t n) noexcept {
        if (remaining() < n) return false;
        pos_ += n;
        return true;
    }

  private:
    std::span<const std::byte> in_;
    std::size_t pos_ = 0;
};

// Writes front to back into a buffer the caller sized exactly.
// REQUIRES: the caller computed the size, so no write runs past the end.
class byte_writer {
  public:
    explicit byte_writer(std::span<std::byte> out) noexcept : out_(out) {}

    std::size_t position() const noexcept { return pos_; }

    template <class T>
    requires std::is_unsigned_v<T>
    void write(T v) noexcept {
        put_le(out_.data() + pos_, v);
        pos_ += sizeof(T);
    }

    void write_bytes(std::span<const std::byte> b) noexcept {
        if (!b.empty()) std::memcpy(out_.data() + pos_, b.data(), b.size());
        pos_ += b.size();
    }

  private:
    std::span<std::byte> out_;
    std::size_t pos_ = 0;
};

}  // namespace fugu::detail::format
