// SPDX-License-Identifier: MIT
// A store's slabs as plain bytes: read out of a memory_storage, edited by a test (a byte
// flipped, a tail cut), and loaded into a fresh memory_storage to be opened. Used by the
// corruption sweep and the fuzz targets, which need many stores that differ by a byte.
#pragma once

#include "io/await.hpp"

#include <fugu/memory_storage.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace fugu::test {

// Slab id -> the slab's bytes. Permanent slabs only.
using slab_image = std::map<std::uint64_t, std::vector<std::byte>>;

// Every permanent slab of `mem`, which no store may hold open.
inline boost::asio::awaitable<slab_image> read_image(fugu::memory_storage& mem) {
    if (auto ec = mem.lock()) throw std::runtime_error("cannot lock the storage: " + ec.message());
    slab_image out;
    auto listed = mem.list();
    if (!listed) throw std::runtime_error("list failed");
    for (const auto& e : *listed) {
        if (e.temporary) continue;
        auto s = mem.open(e.id);
        if (!s) throw std::runtime_error("open failed");
        std::vector<std::byte> bytes((*s)->size());
        auto r = co_await fugu::detail::read_at(**s, 0, bytes);
        if (r.ec || r.bytes != bytes.size()) throw std::runtime_error("read failed");
        out[e.id] = std::move(bytes);
    }
    mem.unlock();
    co_return out;
}

// A fresh memory_storage holding exactly `image`, completing on `ex`.
inline boost::asio::awaitable<std::shared_ptr<fugu::memory_storage>> load_image(
    const slab_image& image, boost::asio::any_io_executor ex) {
    auto mem = std::make_shared<fugu::memory_storage>(ex);
    if (auto ec = mem->lock()) throw std::runtime_error("cannot lock the storage: " + ec.message());
    for (const auto& [id, bytes] : image) {
        auto s = mem->create(id, false);
        if (!s) throw std::runtime_error("create failed");
        if (!bytes.empty()) {
            if (auto ec = co_await fugu::detail::write_at(**s, 0, bytes, false))
                throw std::runtime_error("write failed: " + ec.message());
        }
    }
    mem->unlock();
    co_return mem;
}

// The name memory_storage gives slab `id` in messages and diagnostics.
inline std::string memory_slab_name(std::uint64_t id) { return "memory:" + std::to_string(id); }

}  // namespace fugu::test
