// SPDX-License-Identifier: MIT
// fugu::file_storage: the store directory, its LOCK, and slab files named by
// slab_name.hpp, all reached through one directory descriptor (openat, renameat2,
// unlinkat, fsync of the directory). Durability follows the filesystem rules of the
// reliability plan: a new permanent file, a rename and an unlink are each followed by an
// fsync of the directory before the call returns (R2-R4), and every fd is O_CLOEXEC (R13).
#include <fugu/file_storage.hpp>

#include "io/io_engine.hpp"
#include "storage/file_slab.hpp"
#include "storage/posix_error.hpp"
#include "storage/slab_name.hpp"
#include "storage/store_directory.hpp"
#include "storage/unique_fd.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fugu {
namespace {

using detail::unique_fd;

int openat_retry(int dirfd, const std::string& name, int flags, unsigned mode = 0) {
    int fd;
    do fd = ::openat(dirfd, name.c_str(), flags, static_cast<mode_t>(mode));
    while (fd < 0 && errno == EINTR);
    return fd;
}

const char* kind_of(mode_t mode) {
    if (S_ISLNK(mode)) return "a symbolic link";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    return "not a regular file";
}

// Whether a directory's names show it is not ours: something other than LOCK, a slab, or
// the lost+found a fresh filesystem has at its root (a mount point is a fine place for a
// store). Returns one such name, or empty when the directory may become or is a store.
std::string stranger_in(const std::vector<std::string>& names) {
    std::string stranger;
    for (const auto& name : names) {
        if (name == detail::lock_file_name || detail::parse_slab_file_name(name)) return {};
        if (stranger.empty() && name != "lost+found") stranger = name;
    }
    return stranger;
}

detail::io_engine_choice choose_engine(const boost::asio::any_io_executor& ex, io_engine kind) {
    auto choice = detail::make_io_engine(ex, kind);
    if (choice.engine && choice.note.empty() && choice.engine->name() != "io_uring") {
        choice.note = "options.io_engine asks for the thread engine";
    }
    return choice;
}

}  // namespace

struct file_storage::impl {
    impl(const boost::asio::any_io_executor& ex, std::string dir, const options& o)
        : directory(std::move(dir)),
          prefix(directory.empty() || directory.back() == '/' ? directory : directory + "/"),
          opts(o),
          engine(choose_engine(ex, o.io_engine)) {}

    std::string path_of(std::uint64_t id, bool temporary) const {
        return prefix + detail::slab_file_name(id, temporary);
    }

    error_code fail(error_code ec, std::string message, std::string file = {}) const {
        std::lock_guard guard(diag_mutex);
        diag.assign(std::move(message), std::move(file));
        return ec;
    }

    error_code fail_io(error_code ec, const char* what, const std::string& file) const {
        return fail(ec, std::string("cannot ") + what + " " + file + ": " + ec.message(), file);
    }

    error_code closed() const {
        return fail(make_error_code(errc::store_closed),
                    "the storage of " + directory + " is not locked (lock() first)");
    }

    // Refuses a slab name that is not a regular file without opening it, so a planted
    // FIFO cannot block and a link cannot lead outside the directory.
    // `missing_ok`: a name that vanished is reported (ENOENT) but not recorded as a failure.
    error_code check_regular(int dirfd,
                             const std::string& name,
                             const std::string& path,
                             bool missing_ok = false) const {
        struct stat st {};
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            const error_code ec = detail::last_errno_code();
            if (missing_ok && ec == boost::system::errc::no_such_file_or_directory) return ec;
            return fail_io(ec, "inspect", path);
        }
        if (S_ISREG(st.st_mode)) return {};
        return fail(make_error_code(errc::corruption),
                    path + " is named like a slab but is " + kind_of(st.st_mode) +
                        "; Fugu never follows or opens it. Move it out of the store directory.",
                    path);
    }

    const std::string directory;
    const std::string prefix;  // directory with exactly one trailing '/', for paths
    const options opts;
    const detail::io_engine_choice engine;

    // Exclusive for lock() and unlock(), shared for the calls that use the descriptors.
    mutable std::shared_mutex fds_mutex;
    unique_fd dir_fd;   // the directory, while locked
    unique_fd lock_fd;  // LOCK, whose description holds the lock

    std::atomic<std::size_t> unknown{0};  // ignored names in the last list()

    mutable std::mutex diag_mutex;
    mutable diagnostics diag;  // the last failure's detail
};

file_storage::file_storage(boost::asio::any_io_executor ex,
                           std::string directory,
                           const options& opts)
    : impl_(std::make_unique<impl>(ex, std::move(directory), opts)) {}

file_storage::~file_storage() { unlock(); }

std::string_view file_storage::engine_name() const noexcept {
    return impl_->engine.engine ? impl_->engine.engine->name() : std::string_view{};
}

const std::string& file_storage::engine_note() const noexcept { return impl_->engine.note; }
const std::string& file_storage::directory() const noexcept { return impl_->directory; }
std::size_t file_storage::unknown_files() const noexcept { return impl_->unknown.load(); }
std::string file_storage::location() const { return impl_->directory; }

std::string file_storage::slab_path(std::uint64_t id, bool temporary) const {
    return impl_->path_of(id, temporary);
}

diagnostics file_storage::last_diagnostics() const {
    std::lock_guard guard(impl_->diag_mutex);
    return impl_->diag;
}

error_code file_storage::lock() {
    auto& m = *impl_;
    std::unique_lock guard(m.fds_mutex);
    const std::string lock_path = m.prefix + std::string(detail::lock_file_name);
    if (m.lock_fd) {
        return m.fail(make_error_code(errc::store_locked),
                      "this file_storage already holds the lock of " + m.directory, lock_path);
    }
    if (m.engine.error) {
        return m.fail(m.engine.error,
                      "the io_uring engine was requested but cannot be used: " + m.engine.note);
    }

    auto dir =
        detail::open_store_directory(m.directory, m.opts.create_if_missing, m.opts.directory_mode);
    if (!dir) {
        const error_code ec = dir.error();
        if (ec == errc::store_not_found) {
            return m.fail(ec,
                          "no store at " + m.directory + " and options.create_if_missing is false");
        }
        if (ec == boost::system::errc::not_a_directory) {
            return m.fail(ec, m.directory + " exists but is not a directory", m.directory);
        }
        return m.fail_io(ec, "open the store directory", m.directory);
    }

    auto names = detail::read_directory_names(dir->get());
    if (!names) return m.fail_io(names.error(), "read the store directory", m.directory);
    if (const std::string stranger = stranger_in(*names); !stranger.empty()) {
        return m.fail(make_error_code(errc::not_a_store),
                      m.directory + " holds files but no Fugu LOCK or slab file (for example \"" +
                          stranger + "\"); a store needs an empty directory or an existing store",
                      m.directory);
    }

    auto lock = detail::acquire_lock_file(dir->get(), m.opts.file_mode);
    if (!lock) {
        const error_code ec = lock.error();
        if (ec == errc::store_locked) {
            return m.fail(ec,
                          lock_path +
                              " is locked: the store is open in another handle, in "
                              "this process or another",
                          lock_path);
        }
        if (ec == errc::not_a_store) {
            return m.fail(ec, lock_path + " is not a regular file, so this is not a Fugu store",
                          lock_path);
        }
        return m.fail_io(ec, "create or lock", lock_path);
    }
    m.dir_fd = std::move(*dir);
    m.lock_fd = std::move(*lock);
    return {};
}

void file_storage::unlock() noexcept {
    std::unique_lock guard(impl_->fds_mutex);
    impl_->lock_fd.reset();  // closing the only descriptor of LOCK releases the lock
    impl_->dir_fd.reset();
}

result<std::vector<slab_entry>> file_storage::list() {
    auto& m = *impl_;
    std::shared_lock guard(m.fds_mutex);
    if (!m.dir_fd) return m.closed();
    auto names = detail::read_directory_names(m.dir_fd.get());
    if (!names) return m.fail_io(names.error(), "read the store directory", m.directory);

    std::vector<slab_entry> slabs;
    std::size_t unknown = 0;
    for (const auto& name : *names) {
        if (name == detail::lock_file_name) continue;
        const auto parsed = detail::parse_slab_file_name(name);
        if (!parsed) {
            ++unknown;
            continue;
        }
        if (auto ec = m.check_regular(m.dir_fd.get(), name, m.prefix + name, true)) {
            if (ec == boost::system::errc::no_such_file_or_directory) continue;  // just removed
            return ec;
        }
        slabs.push_back({parsed->id, parsed->temporary});
    }
    m.unknown.store(unknown);
    std::sort(slabs.begin(), slabs.end(), [](const slab_entry& a, const slab_entry& b) {
        return a.id != b.id ? a.id < b.id : a.temporary < b.temporary;
    });
    return slabs;
}

result<std::shared_ptr<slab>> file_storage::create(std::uint64_t id, bool temporary) {
    auto& m = *impl_;
    std::shared_lock guard(m.fds_mutex);
    if (!m.dir_fd) return m.closed();
    const std::string name = detail::slab_file_name(id, temporary);
    const std::string path = m.prefix + name;
    // O_EXCL|O_NOFOLLOW: never clobber, never write through a planted link.
    unique_fd fd(openat_retry(m.dir_fd.get(), name,
                              O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                              m.opts.file_mode));
    if (!fd) return m.fail_io(detail::last_errno_code(), "create", path);
    // R2: a permanent slab must exist after a power cut before anything relies on it. A
    // temporary one is made durable by publish()'s rename and directory sync.
    if (!temporary) {
        if (auto ec = detail::sync_directory(m.dir_fd.get())) {
            return m.fail_io(ec, "sync the directory after creating", path);
        }
    }
    return std::make_shared<detail::file_slab>(id, path, std::move(fd), 0, m.engine.engine,
                                               m.opts.mapped_reads);
}

result<std::shared_ptr<slab>> file_storage::open(std::uint64_t id) {
    auto& m = *impl_;
    std::shared_lock guard(m.fds_mutex);
    if (!m.dir_fd) return m.closed();
    const std::string name = detail::slab_file_name(id, false);
    const std::string path = m.prefix + name;
    if (auto ec = m.check_regular(m.dir_fd.get(), name, path)) return ec;
    // O_NONBLOCK until the type is confirmed: a FIFO swapped in after the check still
    // cannot block the open. It is cleared before any I/O.
    unique_fd fd(openat_retry(m.dir_fd.get(), name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd) return m.fail_io(detail::last_errno_code(), "open", path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return m.fail_io(detail::last_errno_code(), "inspect", path);
    if (!S_ISREG(st.st_mode)) {
        return m.fail(make_error_code(errc::corruption),
                      path + " is " + kind_of(st.st_mode) + ", not a slab file", path);
    }
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
        return m.fail_io(detail::last_errno_code(), "set up", path);
    }
    return std::make_shared<detail::file_slab>(
        id, path, std::move(fd), static_cast<std::uint64_t>(st.st_size), m.engine.engine,
        m.opts.mapped_reads);
}

error_code file_storage::publish(std::uint64_t id) {
    auto& m = *impl_;
    std::shared_lock guard(m.fds_mutex);
    if (!m.dir_fd) return m.closed();
    const int dirfd = m.dir_fd.get();
    const std::string from = detail::slab_file_name(id, true);
    const std::string to = detail::slab_file_name(id, false);
    // RENAME_NOREPLACE: ids are never reused, so an existing target is damage, not
    // something to overwrite. Filesystems without it get a check, then a plain rename.
    int rc = ::renameat2(dirfd, from.c_str(), dirfd, to.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && errno == EINVAL) {
        struct stat st {};
        if (::fstatat(dirfd, to.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            errno = EEXIST;
        } else {
            rc = ::renameat(dirfd, from.c_str(), dirfd, to.c_str());
        }
    }
    if (rc != 0) return m.fail_io(detail::last_errno_code(), "publish", m.prefix + from);
    if (auto ec = detail::sync_directory(dirfd)) {
        return m.fail_io(ec, "sync the directory after publishing", m.prefix + to);
    }
    return {};
}

error_code file_storage::remove(std::uint64_t id, bool temporary) {
    auto& m = *impl_;
    std::shared_lock guard(m.fds_mutex);
    if (!m.dir_fd) return m.closed();
    const std::string name = detail::slab_file_name(id, temporary);
    const std::string path = m.prefix + name;
    if (::unlinkat(m.dir_fd.get(), name.c_str(), 0) != 0) {
        return m.fail_io(detail::last_errno_code(), "remove", path);
    }
    if (auto ec = detail::sync_directory(m.dir_fd.get())) {
        return m.fail_io(ec, "sync the directory after removing", path);
    }
    return {};
}

}  // namespace fugu
