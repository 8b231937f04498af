// SPDX-License-Identifier: MIT
// fugu::memory_storage: slabs as byte vectors, each behind its own mutex and shared by the
// storage and every open handle, so removal leaves open handles readable. The storage's
// mutex guards only the name table and the lock flag.
#include <fugu/memory_storage.hpp>

#include "io/completion.hpp"
#include "storage/copy_source.hpp"
#include "storage/posix_error.hpp"

#include <boost/asio/system_executor.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <utility>

namespace fugu {
namespace {

struct slab_bytes {
    std::mutex mutex;
    std::vector<std::byte> bytes;  // guarded by mutex
};

using slab_key = std::pair<std::uint64_t, bool>;  // id, temporary

class memory_slab final : public slab, public detail::copy_source {
public:
    memory_slab(std::uint64_t id,
                std::shared_ptr<slab_bytes> data,
                boost::asio::any_io_executor hop)
        : id_(id),
          name_("memory:" + std::to_string(id)),
          data_(std::move(data)),
          hop_(std::move(hop)) {}

    std::uint64_t id() const noexcept override { return id_; }
    const std::string& name() const noexcept override { return name_; }

    std::uint64_t size() const noexcept override {
        std::lock_guard guard(data_->mutex);
        return data_->bytes.size();
    }

    void async_write(std::uint64_t offset,
                     std::span<const std::byte> data,
                     bool /*sync: RAM has nothing further to flush*/,
                     write_handler handler) override {
        error_code ec = write(offset, data);
        detail::pending_completion(std::move(handler), hop_).complete(ec);
    }

    void async_read(std::uint64_t offset, std::span<std::byte> out, read_handler handler) override {
        std::size_t n = 0;
        {
            std::lock_guard guard(data_->mutex);
            const auto& bytes = data_->bytes;
            if (offset < bytes.size()) {
                n = static_cast<std::size_t>(
                    std::min<std::uint64_t>(out.size(), bytes.size() - offset));
                if (n) std::memcpy(out.data(), bytes.data() + offset, n);
            }
        }
        detail::pending_completion(std::move(handler), hop_).complete(error_code{}, n);
    }

    // The bytes are in RAM: copied under the slab's lock, like async_read does.
    bool copy_now(std::uint64_t offset, std::span<std::byte> out) const noexcept override {
        std::lock_guard guard(data_->mutex);
        const auto& bytes = data_->bytes;
        if (offset > bytes.size() || out.size() > bytes.size() - offset) return false;
        std::memcpy(out.data(), bytes.data() + offset, out.size());
        return true;
    }

    void async_sync(write_handler handler) override {
        detail::pending_completion(std::move(handler), hop_).complete(error_code{});
    }

    error_code truncate(std::uint64_t new_size) override {
        std::lock_guard guard(data_->mutex);
        return resize(new_size);
    }

private:
    error_code write(std::uint64_t offset, std::span<const std::byte> data) {
        std::lock_guard guard(data_->mutex);
        if (offset > UINT64_MAX - data.size()) return detail::errno_code(EFBIG);
        const std::uint64_t end = offset + data.size();
        if (end > data_->bytes.size()) {
            if (auto ec = resize(end)) return ec;
        }
        if (!data.empty()) std::memcpy(data_->bytes.data() + offset, data.data(), data.size());
        return {};
    }

    // REQUIRES: data_->mutex held. Growth fills with zeros, as a file hole reads.
    error_code resize(std::uint64_t size) {
        if (size > data_->bytes.max_size()) return detail::errno_code(EFBIG);
        try {
            data_->bytes.resize(static_cast<std::size_t>(size));
        } catch (const std::bad_alloc&) {
            return detail::errno_code(ENOMEM);
        } catch (const std::length_error&) {
            return detail::errno_code(EFBIG);
        }
        return {};
    }

    const std::uint64_t id_;
    const std::string name_;
    const std::shared_ptr<slab_bytes> data_;
    const boost::asio::any_io_executor hop_;
};

std::string slab_label(std::uint64_t id, bool temporary) {
    return "memory:" + std::to_string(id) + (temporary ? " (temporary)" : "");
}

}  // namespace

struct memory_storage::impl {
    explicit impl(boost::asio::any_io_executor ex) : hop(std::move(ex)) {}

    // REQUIRES: mutex held.
    error_code fail(error_code ec, std::string message, std::string file = {}) {
        diag.assign(std::move(message), std::move(file));
        return ec;
    }
    error_code closed() {
        return fail(make_error_code(errc::store_closed), "the memory storage is not locked");
    }
    error_code missing(std::uint64_t id, bool temporary) {
        return fail(detail::errno_code(ENOENT), slab_label(id, temporary) + " does not exist",
                    slab_label(id, temporary));
    }

    const boost::asio::any_io_executor hop;
    mutable std::mutex mutex;
    bool locked = false;                                    // guarded by mutex
    std::map<slab_key, std::shared_ptr<slab_bytes>> slabs;  // guarded by mutex
    diagnostics diag;                                       // guarded by mutex
};

memory_storage::memory_storage()
    : memory_storage(boost::asio::any_io_executor(boost::asio::system_executor())) {}

memory_storage::memory_storage(boost::asio::any_io_executor completion_executor)
    : impl_(std::make_unique<impl>(std::move(completion_executor))) {}

memory_storage::~memory_storage() = default;

std::string memory_storage::location() const { return "memory"; }

diagnostics memory_storage::last_diagnostics() const {
    std::lock_guard guard(impl_->mutex);
    return impl_->diag;
}

std::uint64_t memory_storage::bytes_used() const {
    std::lock_guard guard(impl_->mutex);
    std::uint64_t total = 0;
    for (const auto& [key, data] : impl_->slabs) {
        std::lock_guard slab_guard(data->mutex);
        total += data->bytes.size();
    }
    return total;
}

error_code memory_storage::lock() {
    std::lock_guard guard(impl_->mutex);
    if (impl_->locked) {
        return impl_->fail(make_error_code(errc::store_locked),
                           "the memory storage is already open in another store handle");
    }
    impl_->locked = true;
    return {};
}

void memory_storage::unlock() noexcept {
    std::lock_guard guard(impl_->mutex);
    impl_->locked = false;
}

result<std::vector<slab_entry>> memory_storage::list() {
    std::lock_guard guard(impl_->mutex);
    if (!impl_->locked) return impl_->closed();
    std::vector<slab_entry> entries;
    entries.reserve(impl_->slabs.size());
    for (const auto& [key, data] : impl_->slabs) entries.push_back({key.first, key.second});
    return entries;  // the map's order: by id, permanent before temporary
}

result<std::shared_ptr<slab>> memory_storage::create(std::uint64_t id, bool temporary) {
    std::lock_guard guard(impl_->mutex);
    if (!impl_->locked) return impl_->closed();
    auto data = std::make_shared<slab_bytes>();
    if (!impl_->slabs.emplace(slab_key{id, temporary}, data).second) {
        return impl_->fail(detail::errno_code(EEXIST),
                           slab_label(id, temporary) + " already exists",
                           slab_label(id, temporary));
    }
    return std::make_shared<memory_slab>(id, std::move(data), impl_->hop);
}

result<std::shared_ptr<slab>> memory_storage::open(std::uint64_t id) {
    std::lock_guard guard(impl_->mutex);
    if (!impl_->locked) return impl_->closed();
    const auto it = impl_->slabs.find(slab_key{id, false});
    if (it == impl_->slabs.end()) return impl_->missing(id, false);
    return std::make_shared<memory_slab>(id, it->second, impl_->hop);
}

error_code memory_storage::publish(std::uint64_t id) {
    std::lock_guard guard(impl_->mutex);
    if (!impl_->locked) return impl_->closed();
    const auto it = impl_->slabs.find(slab_key{id, true});
    if (it == impl_->slabs.end()) return impl_->missing(id, true);
    if (impl_->slabs.contains(slab_key{id, false})) {
        return impl_->fail(detail::errno_code(EEXIST), slab_label(id, false) + " already exists",
                           slab_label(id, false));
    }
    auto data = std::move(it->second);
    impl_->slabs.erase(it);
    impl_->slabs.emplace(slab_key{id, false}, std::move(data));
    return {};
}

error_code memory_storage::remove(std::uint64_t id, bool temporary) {
    std::lock_guard guard(impl_->mutex);
    if (!impl_->locked) return impl_->closed();
    if (impl_->slabs.erase(slab_key{id, temporary}) == 0) return impl_->missing(id, temporary);
    return {};
}

}  // namespace fugu
