// SPDX-License-Identifier: MIT
// file_slab: one open slab file of a file_storage. Owns the fd (closed when the last
// shared_ptr goes) and a share of the I/O engine; every in-flight operation holds a
// shared_ptr to the slab, so the fd outlives the kernel's use of it. Safe to use from
// several threads; the size and the read maps are the only mutable state.
//
// Point reads may take their bytes from a read-only shared map of the file instead of a
// pread: no syscall, no engine, no completion from another thread. A map covers the file
// as it was when mapped; bytes past it are read through the engine until the file has
// grown enough to be mapped again. Maps are released only by the destructor, so they
// live as long as any version (and so any snapshot or read) holding the slab.
#pragma once

#include "io/io_engine.hpp"
#include "storage/copy_source.hpp"
#include "storage/unique_fd.hpp"

#include <fugu/storage.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <cstring>
#include <span>
#include <string>

namespace fugu::detail {

class file_slab final : public fugu::slab,
                        public copy_source,
                        public std::enable_shared_from_this<file_slab> {
public:
    // `size` is the file's size when opened (0 for a new one); `path` is what name() says.
    file_slab(std::uint64_t id,
              std::string path,
              unique_fd fd,
              std::uint64_t size,
              std::shared_ptr<io_engine> engine,
              bool mapped_reads = true);
    ~file_slab() override;
    file_slab(const file_slab&) = delete;
    file_slab& operator=(const file_slab&) = delete;

    std::uint64_t id() const noexcept override { return id_; }
    const std::string& name() const noexcept override { return path_; }
    std::uint64_t size() const noexcept override { return size_.load(std::memory_order_acquire); }

    void async_write(std::uint64_t offset,
                     std::span<const std::byte> data,
                     bool sync,
                     write_handler handler) override;
    void async_read(std::uint64_t offset, std::span<std::byte> out, read_handler handler) override;
    void async_sync(write_handler handler) override;

    // ftruncate then fdatasync, synchronously: it runs once, while a store opens.
    error_code truncate(std::uint64_t new_size) override;

    // Bytes [offset, offset + n) straight from a read-only map of the file, or an empty
    // span when they cannot be had that way (no mmap here, the map failed, or they lie
    // past the newest map and the file has not grown enough to map it again). The bytes
    // are only as good as the file: callers verify them, on a copy. Valid while the
    // caller holds the slab. REQUIRES: n > 0 and the range lies within size().
    std::span<const std::byte> mapped(std::uint64_t offset, std::size_t n) const noexcept {
        const mapping* m = map_.load(std::memory_order_acquire);
        if (m && offset + n <= m->length) return {m->base + offset, n};
        return map_more(offset, n);
    }

    // copy_source: the bytes from the map, when mapped() has them.
    bool copy_now(std::uint64_t offset, std::span<std::byte> out) const noexcept override {
        auto block = mapped(offset, out.size());
        if (block.empty()) return false;
        std::memcpy(out.data(), block.data(), out.size());
        return true;
    }

private:
    struct mapping {
        const std::byte* base = nullptr;
        std::size_t length = 0;
        std::unique_ptr<mapping> older;  // readers may still hold bytes of older maps
    };

    std::span<const std::byte> map_more(std::uint64_t offset, std::size_t n) const noexcept;

    // Raises the size to `end`; completed writes can finish out of order.
    void grow_to(std::uint64_t end) noexcept;

    const std::uint64_t id_;
    const std::string path_;
    const unique_fd fd_;
    std::atomic<std::uint64_t> size_;  // max(size at open, end of every completed write)
    const std::shared_ptr<io_engine> engine_;

    // The newest map, or null; every map is owned through maps_ (newest first).
    mutable std::atomic<const mapping*> map_{nullptr};
    // The file size that earns a new map; reads past the map go through the engine until
    // the file reached it.
    mutable std::atomic<std::uint64_t> next_map_at_{0};
    mutable std::mutex map_mu_;
    mutable std::unique_ptr<mapping> maps_;
};

}  // namespace fugu::detail
