// SPDX-License-Identifier: MIT
// What the engine tests share: the engine of the current suite, a file descriptor that
// closes itself, record-like byte patterns, and a plain pread of a whole file to check
// results independently of the engine under test.
#pragma once

#include "io/io_engine.hpp"
#include "support/test_engine.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace fugu::test {

inline std::shared_ptr<detail::io_engine> make_test_engine(const boost::asio::any_io_executor& ex) {
    auto choice = detail::make_io_engine(ex, test_engine());
    if (!choice.engine) throw std::runtime_error("no I/O engine: " + choice.note);
    return choice.engine;
}

class file_fd {
public:
    file_fd(const std::filesystem::path& path, int flags, mode_t mode = 0644)
        : fd_(::open(path.c_str(), flags | O_CLOEXEC, mode)) {
        if (fd_ < 0) throw std::runtime_error("cannot open " + path.string());
    }
    ~file_fd() { close(); }
    file_fd(const file_fd&) = delete;
    file_fd& operator=(const file_fd&) = delete;

    int get() const noexcept { return fd_; }
    void close() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

// Bytes that differ from one position and seed to the next, so a misplaced or
// duplicated block shows up as a mismatch.
inline std::vector<std::byte> pattern(std::size_t size, unsigned seed) {
    std::vector<std::byte> out(size);
    for (std::size_t i = 0; i < size; ++i) {
        out[i] = static_cast<std::byte>((i * 131 + seed * 7 + (i >> 8)) & 0xff);
    }
    return out;
}

inline std::vector<std::byte> read_whole(const std::filesystem::path& path) {
    file_fd f(path, O_RDONLY);
    std::vector<std::byte> out(std::filesystem::file_size(path));
    std::size_t n = 0;
    while (n < out.size()) {
        ssize_t r = ::pread(f.get(), out.data() + n, out.size() - n, static_cast<off_t>(n));
        if (r <= 0) throw std::runtime_error("cannot read back " + path.string());
        n += static_cast<std::size_t>(r);
    }
    return out;
}

}  // namespace fugu::test
