// SPDX-License-Identifier: MIT
// file_slab: one open slab file of a file_storage. Owns the fd (closed when the last
// shared_ptr goes) and a share of the I/O engine; every in-flight operation holds a
// shared_ptr to the slab, so the fd outlives the kernel's use of it. Safe to use from
// several threads; the size is the only mutable state and is atomic.
#pragma once

#include "io/io_engine.hpp"
#include "storage/unique_fd.hpp"

#include <fugu/storage.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace fugu::detail {

class file_slab final : public fugu::slab, public std::enable_shared_from_this<file_slab> {
public:
    // `size` is the file's size when opened (0 for a new one); `path` is what name() says.
    file_slab(std::uint64_t id,
              std::string path,
              unique_fd fd,
              std::uint64_t size,
              std::shared_ptr<io_engine> engine);

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

private:
    // Raises the size to `end`; completed writes can finish out of order.
    void grow_to(std::uint64_t end) noexcept;

    const std::uint64_t id_;
    const std::string path_;
    const unique_fd fd_;
    std::atomic<std::uint64_t> size_;  // max(size at open, end of every completed write)
    const std::shared_ptr<io_engine> engine_;
};

}  // namespace fugu::detail
