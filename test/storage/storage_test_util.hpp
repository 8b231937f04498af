// SPDX-License-Identifier: MIT
// Small helpers shared by the storage tests: byte/string conversion, whole-file access
// for inspecting a store directory from outside, and the options a test run uses.
#pragma once

#include "support/test_engine.hpp"

#include <fugu/options.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>

namespace fugu::test {

inline std::vector<std::byte> to_bytes(std::string_view s) {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    return {p, p + s.size()};
}

inline std::string to_text(std::span<const std::byte> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline std::string read_whole_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_whole_file(const std::filesystem::path& p, std::string_view content) {
    std::ofstream out(p, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

inline unsigned permission_bits(const std::filesystem::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return 0xffff;
    return st.st_mode & 07777;
}

inline fugu::options engine_options() {
    fugu::options opts;
    opts.io_engine = test_engine();
    return opts;
}

// Sets the umask for one scope: the mode tests must not depend on the caller's.
class umask_scope {
public:
    explicit umask_scope(mode_t mask) : old_(::umask(mask)) {}
    ~umask_scope() { ::umask(old_); }
    umask_scope(const umask_scope&) = delete;
    umask_scope& operator=(const umask_scope&) = delete;

private:
    mode_t old_;
};

}  // namespace fugu::test
