// SPDX-License-Identifier: MIT
// The directory side of file_storage: opening (and durably creating) the store
// directory, reading its names, syncing it, and taking the LOCK file. Free functions over
// file descriptors the caller owns; no state of their own.
#pragma once

#include "storage/unique_fd.hpp"

#include <fugu/error.hpp>
#include <fugu/storage.hpp>

#include <string>
#include <vector>

namespace fugu::detail {

// Opens `path` with O_RDONLY|O_DIRECTORY|O_CLOEXEC. When it is missing and
// `create_if_missing`, creates it with `mode` (the umask applies) and fsyncs its parent so
// the new directory survives a power cut (R2); only the last path component is created.
// Errors: errc::store_not_found when missing and not to be created; ENOTDIR when the path
// is not a directory; EACCES and other system errors unchanged.
result<unique_fd> open_store_directory(const std::string& path,
                                       bool create_if_missing,
                                       unsigned mode);

// Every name in the directory except "." and "..", in directory order. Reads through a
// description of its own, so concurrent readers never share a position.
result<std::vector<std::string>> read_directory_names(int dirfd);

// fsync(dirfd), retried on EINTR only: a failed directory sync is never retried and then
// trusted (R8).
error_code sync_directory(int dirfd) noexcept;

// Opens the LOCK file in `dirfd` (creating it, with `file_mode`, and syncing the directory
// when new) and takes an exclusive lock on its open file description: F_OFD_SETLK, or
// flock where OFD locks are not supported. OFD locks conflict between descriptions, so a
// second open in the same process is refused like one from another process, and the
// kernel drops the lock when the holder dies. The fd is O_CLOEXEC, so exec'd children
// never hold it. Errors: errc::store_locked; errc::not_a_store when LOCK is not a
// regular file; system errors (EACCES for an unwritable directory).
result<unique_fd> acquire_lock_file(int dirfd, unsigned file_mode);

}  // namespace fugu::detail
