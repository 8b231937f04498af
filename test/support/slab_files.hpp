// SPDX-License-Identifier: MIT
// A file_storage store's slab files on disk, and damage done to them in place (under a
// live store and its read-only maps), for the tests that check what a read then reports.
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace fugu::test {

// The slab files of the store in `dir`, in name order (oldest first).
inline std::vector<std::filesystem::path> slab_files(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().filename().string().rfind("slab-", 0) == 0) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Finds the first occurrence of `needle` in `file` and flips one bit of the byte `skip`
// bytes after where it starts, with a plain pwrite (the page cache a map shares). Returns
// that byte's offset; throws when the needle is not there.
inline std::size_t flip_byte_after(const std::filesystem::path& file, std::string_view needle,
                                   std::size_t skip) {
    std::vector<char> bytes;
    {
        std::ifstream in(file, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto it = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
    if (it == bytes.end()) throw std::runtime_error("flip_byte_after: needle not in " + file.string());
    const auto at = static_cast<std::size_t>(it - bytes.begin()) + skip;
    if (at >= bytes.size()) throw std::runtime_error("flip_byte_after: past the end of " + file.string());
    const char flipped = static_cast<char>(bytes[at] ^ 0x20);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("flip_byte_after: cannot open " + file.string());
    const auto wrote = ::pwrite(fd, &flipped, 1, static_cast<off_t>(at));
    ::close(fd);
    if (wrote != 1) throw std::runtime_error("flip_byte_after: pwrite failed on " + file.string());
    return at;
}

}  // namespace fugu::test
