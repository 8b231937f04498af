// SPDX-License-Identifier: MIT
// Error codes of the fugu category, and the diagnostics object that carries the file and
// offset an error_code cannot. Thread safety: error codes are values; a diagnostics object
// is written by one operation at a time and must not be shared between concurrent ones.
#pragma once

#include <fugu/detail/config.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

namespace fugu {

using error_code = boost::system::error_code;

/// Errors raised by Fugu itself. Operating-system failures (EIO, ENOSPC, EACCES, ...)
/// arrive in the system category unchanged.
enum class errc : int {
    /// Another handle, in this process or another, holds the store's lock.
    store_locked = 1,
    /// The handle is empty, moved-from, failed to open, or the store was closed.
    store_closed,
    /// A change set names the same key twice.
    duplicate_key,
    /// A key is longer than fugu::max_key_size.
    key_too_large,
    /// A value is longer than fugu::max_value_size.
    value_too_large,
    /// A change set is larger than fugu::max_change_set_size.
    change_set_too_large,
    /// Bytes on disk failed a check; the diagnostics name the file and offset.
    corruption,
    /// A slab was written by a newer (or unknown) version of the format.
    unknown_format_version,
    /// The directory holds files that are not a Fugu store (and is not empty).
    not_a_store,
    /// A directory exists where options.error_if_exists forbids one.
    store_exists,
    /// The directory does not exist and options.create_if_missing is false.
    store_not_found,
    /// A durable write failed earlier (for example fdatasync returned EIO); the store
    /// refuses further saves until it is closed and reopened, because the kernel may have
    /// dropped the data it failed to write.
    store_failed,
    /// The requested I/O engine is not available on this machine.
    io_engine_unavailable,
    /// An option has a value outside its documented range.
    invalid_option,
    /// A non-blocking call (snapshot::try_read, store::try_get) could not answer without
    /// waiting: the value needs a read through the I/O engine, or a snapshot from the
    /// store's actors. Nothing went wrong; make the asynchronous call instead.
    would_block,
};

/// The category of fugu::errc. Its name is "fugu".
FUGU_EXPORT const boost::system::error_category& fugu_category() noexcept;

inline error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), fugu_category()};
}

/// Detail about a failure that an error_code cannot carry: the file and byte offset of
/// on-disk damage or a failed I/O, in words a person can act on. Key and value bytes never
/// appear in it.
class diagnostics {
public:
    diagnostics() = default;

    /// A one-line human-readable explanation; empty when nothing is known.
    const std::string& message() const noexcept { return message_; }
    /// The file concerned, or empty.
    const std::string& file() const noexcept { return file_; }
    /// The byte offset in file() concerned; meaningful only when file() is not empty.
    std::uint64_t offset() const noexcept { return offset_; }

    void clear() noexcept {
        message_.clear();
        file_.clear();
        offset_ = 0;
    }
    void assign(std::string message, std::string file = {}, std::uint64_t offset = 0) {
        message_ = std::move(message);
        file_ = std::move(file);
        offset_ = offset;
    }

private:
    std::string message_;
    std::string file_;
    std::uint64_t offset_ = 0;
};

}  // namespace fugu

namespace boost::system {
template <>
struct is_error_code_enum<fugu::errc> : std::true_type {};
}  // namespace boost::system
