// SPDX-License-Identifier: MIT
// Directory operations of file_storage: open-or-create with a durable mkdir, listing,
// fsync of the directory, and the LOCK file. Every call retries EINTR and nothing else.
#include "storage/store_directory.hpp"

#include "storage/posix_error.hpp"
#include "storage/slab_name.hpp"

#include <cerrno>
#include <string_view>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fugu::detail {
namespace {

// The directory that holds `path`, as a string open() accepts.
std::string parent_of(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    path.resize(slash);
    return path;
}

error_code sync_parent(const std::string& path) {
    const std::string parent = parent_of(path);
    unique_fd fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return last_errno_code();
    return sync_directory(fd.get());
}

// Takes the lock on an open LOCK file description.
error_code lock_description(int fd) noexcept {
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file; l_pid must be 0
    int rc;
    do rc = ::fcntl(fd, F_OFD_SETLK, &fl);
    while (rc != 0 && errno == EINTR);
    if (rc == 0) return {};
    if (errno == EAGAIN || errno == EACCES) return make_error_code(errc::store_locked);
    if (errno != EINVAL) return last_errno_code();
    // Kernels or filesystems without OFD locks: flock also belongs to the description.
    do rc = ::flock(fd, LOCK_EX | LOCK_NB);
    while (rc != 0 && errno == EINTR);
    if (rc == 0) return {};
    if (errno == EWOULDBLOCK) return make_error_code(errc::store_locked);
    return last_errno_code();
}

}  // namespace

result<unique_fd> open_store_directory(const std::string& path,
                                       bool create_if_missing,
                                       unsigned mode) {
    for (bool created = false;;) {
        unique_fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (fd) return fd;
        const int e = errno;
        if (e == EINTR) continue;
        if (e != ENOENT) return errno_code(e);
        if (!create_if_missing) return make_error_code(errc::store_not_found);
        // A second ENOENT after mkdir means a dangling symlink or a missing parent.
        if (created) return errno_code(e);
        if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
            return last_errno_code();
        }
        created = true;
        if (auto ec = sync_parent(path)) return ec;
    }
}

result<std::vector<std::string>> read_directory_names(int dirfd) {
    unique_fd own(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!own) return last_errno_code();
    DIR* dir = ::fdopendir(own.get());
    if (!dir) return last_errno_code();
    own.release();  // closedir closes it now

    std::vector<std::string> names;
    error_code ec;
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(dir);
        if (!entry) {
            if (errno != 0) ec = last_errno_code();
            break;
        }
        const std::string_view name = entry->d_name;
        if (name == "." || name == "..") continue;
        names.emplace_back(name);
    }
    ::closedir(dir);
    if (ec) return ec;
    return names;
}

error_code sync_directory(int dirfd) noexcept {
    int rc;
    do rc = ::fsync(dirfd);
    while (rc != 0 && errno == EINTR);
    return rc == 0 ? error_code{} : last_errno_code();
}

result<unique_fd> acquire_lock_file(int dirfd, unsigned file_mode) {
    const std::string name(lock_file_name);
    // O_NONBLOCK: a FIFO planted as LOCK must not block the open; the fd is never read.
    constexpr int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
    bool created = true;
    unique_fd fd(
        ::openat(dirfd, name.c_str(), flags | O_CREAT | O_EXCL, static_cast<mode_t>(file_mode)));
    if (!fd && errno == EEXIST) {
        created = false;
        fd.reset(::openat(dirfd, name.c_str(), flags));
    }
    if (!fd) {
        if (errno == ELOOP) return make_error_code(errc::not_a_store);
        return last_errno_code();
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return last_errno_code();
    if (!S_ISREG(st.st_mode)) return make_error_code(errc::not_a_store);
    if (created) {
        if (auto ec = sync_directory(dirfd)) return ec;
    }
    if (auto ec = lock_description(fd.get())) return ec;
    return fd;
}

}  // namespace fugu::detail
