// SPDX-License-Identifier: MIT
#include "store_copy.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fugu::bench {

namespace fs = std::filesystem;

namespace {

class fd_guard {
public:
    explicit fd_guard(int fd) : fd_(fd) {}
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_;
};

[[noreturn]] void fail(const std::string& what, const fs::path& p) {
    throw std::system_error(errno, std::generic_category(), what + " " + p.string());
}

// [off, end) of `in` to the same offsets of `out`.
void copy_range(int in, int out, off_t off, off_t end, const fs::path& p) {
    bool kernel_copy = true;
    std::vector<char> buf;
    while (off < end) {
        const auto want = static_cast<std::size_t>(std::min<off_t>(end - off, off_t{1} << 30));
        if (kernel_copy) {
            loff_t in_off = off, out_off = off;
            const ssize_t n = ::copy_file_range(in, &in_off, out, &out_off, want, 0);
            if (n > 0) {
                off += n;
                continue;
            }
            if (n == 0) throw std::runtime_error("copy of " + p.string() + " ended early");
            if (errno == EINTR) continue;
            if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
                fail("copy_file_range", p);
            kernel_copy = false;
        }
        buf.resize(1 << 20);
        const ssize_t r = ::pread(in, buf.data(), std::min(want, buf.size()), off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) fail("read", p);
        for (ssize_t done = 0; done < r;) {
            const ssize_t w = ::pwrite(out, buf.data() + done, static_cast<std::size_t>(r - done),
                                       off + done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) fail("write", p);
            done += w;
        }
        off += r;
    }
}

void copy_data(const fs::path& from, const fs::path& to) {
    const fd_guard in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) fail("open", from);
    struct stat st {};
    if (::fstat(in.get(), &st) != 0) fail("stat", from);
    const fd_guard out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                              st.st_mode & 07777));
    if (out.get() < 0) fail("create", to);
    off_t off = 0;
    while (off < st.st_size) {
        const off_t data = ::lseek(in.get(), off, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO) break;  // only a hole is left
            fail("seek", from);
        }
        off_t hole = ::lseek(in.get(), data, SEEK_HOLE);
        if (hole < 0) fail("seek", from);
        hole = std::min(hole, st.st_size);
        copy_range(in.get(), out.get(), data, hole, from);
        off = hole;
    }
    if (::ftruncate(out.get(), st.st_size) != 0) fail("truncate", to);
}

}  // namespace

void copy_store(const fs::path& from, const fs::path& to) {
    fs::create_directory(to);
    for (const auto& ent : fs::recursive_directory_iterator(from)) {
        const fs::path dst = to / fs::relative(ent.path(), from);
        if (ent.is_symlink()) {
            fs::copy_symlink(ent.path(), dst);
        } else if (ent.is_directory()) {
            fs::create_directory(dst);
        } else if (ent.is_regular_file()) {
            copy_data(ent.path(), dst);
        }
    }
    const fd_guard d(::open(to.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (d.get() < 0 || ::syncfs(d.get()) != 0) fail("syncfs", to);
}

}  // namespace fugu::bench
