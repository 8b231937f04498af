// SPDX-License-Identifier: MIT
#include "slab_files.hpp"

#include "cli.hpp"
#include "storage/slab_name.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fugu::cli {

directory_listing list_directory(const std::string& dir) {
    directory_listing out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw failure(exit_code::io_error, "cannot list " + dir + ": " + std::strerror(errno));
    while (const dirent* e = ::readdir(d)) {
        const std::string_view n = e->d_name;
        if (n == "." || n == "..") continue;
        if (n == detail::lock_file_name) {
            out.has_lock_file = true;
        } else if (auto s = detail::parse_slab_file_name(n)) {
            out.slabs.push_back({std::string(n), dir + "/" + std::string(n), s->id, s->temporary});
        } else {
            out.other_names.emplace_back(n);
        }
    }
    ::closedir(d);
    std::sort(out.slabs.begin(), out.slabs.end(), [](const listed_file& a, const listed_file& b) {
        if (a.temporary != b.temporary) return !a.temporary;
        return a.id < b.id;
    });
    std::sort(out.other_names.begin(), out.other_names.end());
    return out;
}

mapped_file::mapped_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw failure(exit_code::io_error, "cannot open " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        throw failure(exit_code::io_error, "cannot stat " + path + ": " + std::strerror(e));
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
        void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int e = errno;
            ::close(fd);
            throw failure(exit_code::io_error, "cannot map " + path + ": " + std::strerror(e));
        }
        ::madvise(p, size_, MADV_SEQUENTIAL);
        data_ = static_cast<const std::byte*>(p);
    }
    ::close(fd);
}

mapped_file::~mapped_file() {
    if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

void walk_records(std::span<const std::byte> file, const walk_callbacks& cb) {
    const std::uint64_t base = format::slab_header_size;
    if (file.size() <= base) return;
    const auto records = file.subspan(base);
    std::uint64_t pos = base;
    while (pos < file.size()) {
        format::record_scanner scanner(file.subspan(static_cast<std::size_t>(pos)), pos);
        std::optional<format::scanned_record> failed;
        while (auto r = scanner.next()) {
            if (!r->status.ok()) {
                failed = *r;
                break;
            }
            if (cb.record) cb.record(*r);
        }
        if (!failed) return;  // every byte consumed by good records
        auto next = format::find_next_valid_header(records, failed->offset + 1, base);
        std::optional<std::uint64_t> resumed;
        if (next) resumed = next->offset;
        if (cb.damage) cb.damage(failed->offset, failed->status.reason, failed->status.truncated(), resumed);
        if (!next) return;
        pos = next->offset;
    }
}

std::optional<std::uint64_t> later_record_proving_synced(std::span<const std::byte> file,
                                                         std::uint64_t damage_at) {
    const std::uint64_t base = format::slab_header_size;
    if (file.size() <= base) return std::nullopt;
    const auto records = file.subspan(base);
    for (std::uint64_t from = damage_at + 1;;) {
        auto h = format::find_next_valid_header(records, from, base);
        if (!h) return std::nullopt;
        if (h->header.synced_upto > damage_at) return h->offset;
        from = h->offset + 1;
    }
}

std::string_view kind_name(format::slab_kind k) {
    return k == format::slab_kind::merged ? "merged" : "log";
}

}  // namespace fugu::cli
