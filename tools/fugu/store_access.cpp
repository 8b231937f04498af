// SPDX-License-Identifier: MIT
#include "store_access.hpp"

#include "tools/common/option_names.hpp"

#include "io/completion.hpp"
#include "storage/slab_name.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>
#include <cerrno>
#include <exception>

#include <dirent.h>
#include <sys/stat.h>

namespace fugu::cli {

namespace asio = boost::asio;

directory_facts inspect_directory(const std::string& path) {
    directory_facts f;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return f;
    f.exists = true;
    f.is_directory = S_ISDIR(st.st_mode);
    if (!f.is_directory) return f;
    if (DIR* d = ::opendir(path.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const std::string_view n = e->d_name;
            if (n == "." || n == "..") continue;
            if (n == detail::lock_file_name) f.has_lock_file = true;
            else if (detail::parse_slab_file_name(n)) ++f.slab_files;
            else ++f.other_files;
        }
        ::closedir(d);
    }
    return f;
}

void require_store(const std::string& path) {
    const directory_facts f = inspect_directory(path);
    if (!f.exists) {
        throw failure(exit_code::no_store,
                      "no store at " + path + ": the directory does not exist (check the path; "
                      "`fugu put` and `fugu batch` create a store)");
    }
    if (!f.is_directory) throw failure(exit_code::no_store, path + " is not a directory");
    if (!f.has_lock_file && f.slab_files == 0) {
        throw failure(exit_code::no_store,
                      path + (f.other_files ? " is not a Fugu directory: it holds no LOCK and no slab file"
                                            : " is an empty directory, not a Fugu store") +
                          "; name the directory of a store");
    }
}

fugu::options options_from(const args& a) {
    fugu::options o;
    if (auto d = a.get("durability")) {
        auto v = tools::parse_durability(*d);
        if (!v) throw failure(exit_code::usage, "--durability is fsync or os_buffered, not \"" + *d + "\"");
        o.durability = *v;
    }
    if (auto e = a.get("io-engine")) {
        auto v = tools::parse_io_engine(*e);
        if (!v) throw failure(exit_code::usage, "--io-engine is auto, io_uring or threads, not \"" + *e + "\"");
        o.io_engine = *v;
    }
    if (a.has("slab-size")) o.base_slab_size = a.get_uint("slab-size", o.base_slab_size, true);
    if (a.has("no-background-compaction")) o.background_compaction = false;
    return o;
}

// ---- readonly_storage ----

namespace {

// A file slab seen through a read-only view: reads stop at the view's end, truncate
// moves that end, and appends go to RAM (an open that repaired a torn tail appends a sync
// mark; the store otherwise writes to its RAM output slab only). The file never changes.
class readonly_slab final : public fugu::slab {
public:
    readonly_slab(std::shared_ptr<fugu::slab> inner, asio::any_io_executor ex)
        : inner_(std::move(inner)), ex_(std::move(ex)), size_(inner_->size()), file_end_(size_) {}

    std::uint64_t id() const noexcept override { return inner_->id(); }
    const std::string& name() const noexcept override { return inner_->name(); }
    std::uint64_t size() const noexcept override {
        std::lock_guard lock(mutex_);
        return size_;
    }

    void async_write(std::uint64_t offset, std::span<const std::byte> data, bool, write_handler handler) override {
        error_code ec;
        {
            std::lock_guard lock(mutex_);
            if (offset != size_) {
                ec = make_error_code(boost::system::errc::read_only_file_system);
            } else {
                appended_.insert(appended_.end(), data.begin(), data.end());
                size_ += data.size();
            }
        }
        detail::pending_completion(std::move(handler), ex_).complete(ec);
    }

    void async_read(std::uint64_t offset, std::span<std::byte> out, read_handler handler) override {
        std::unique_lock lock(mutex_);
        if (offset >= file_end_) {
            // From the bytes appended in RAM.
            std::size_t n = 0;
            if (offset < size_) {
                n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_ - offset));
                std::memcpy(out.data(), appended_.data() + (offset - file_end_), n);
            }
            lock.unlock();
            detail::pending_completion(std::move(handler), ex_).complete(error_code{}, n);
            return;
        }
        const std::uint64_t end = file_end_;
        lock.unlock();
        out = out.first(static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), end - offset)));
        inner_->async_read(offset, out, std::move(handler));
    }

    void async_sync(write_handler handler) override {
        detail::pending_completion(std::move(handler), ex_).complete(error_code{});
    }

    error_code truncate(std::uint64_t new_size) override {
        std::lock_guard lock(mutex_);
        if (new_size >= size_) return {};
        size_ = new_size;
        if (new_size <= file_end_) {
            file_end_ = new_size;
            appended_.clear();
        } else {
            appended_.resize(static_cast<std::size_t>(new_size - file_end_));
        }
        return {};
    }

private:
    std::shared_ptr<fugu::slab> inner_;
    asio::any_io_executor ex_;
    mutable std::mutex mutex_;
    std::uint64_t size_;      // the view's end
    std::uint64_t file_end_;  // below this, bytes come from the file; above, from appended_
    std::vector<std::byte> appended_;
};

fugu::options no_create(fugu::options o) {
    o.create_if_missing = false;
    return o;
}

}  // namespace

readonly_storage::readonly_storage(asio::any_io_executor ex, std::string directory, const options& opts)
    : ex_(ex), files_(ex, std::move(directory), no_create(opts)), ram_(ex) {
    (void)ram_.lock();
}

readonly_storage::~readonly_storage() { unlock(); }

error_code readonly_storage::lock() {
    if (locked_) return {};
    if (auto ec = files_.lock()) return ec;
    locked_ = true;
    return {};
}

void readonly_storage::unlock() noexcept {
    if (!locked_) return;
    locked_ = false;
    files_.unlock();
}

result<std::vector<slab_entry>> readonly_storage::list() { return files_.list(); }

result<std::shared_ptr<slab>> readonly_storage::create(std::uint64_t id, bool temporary) {
    return ram_.create(id, temporary);
}

result<std::shared_ptr<slab>> readonly_storage::open(std::uint64_t id) {
    auto s = files_.open(id);
    if (!s) return s.error();
    return std::shared_ptr<slab>(std::make_shared<readonly_slab>(std::move(*s), ex_));
}

error_code readonly_storage::publish(std::uint64_t) {
    return make_error_code(boost::system::errc::read_only_file_system);
}

// What an open would remove (an interrupted creation, a superseded compaction source)
// stays; `fugu check` reports it.
error_code readonly_storage::remove(std::uint64_t, bool) { return {}; }

std::string readonly_storage::location() const { return files_.location(); }

diagnostics readonly_storage::last_diagnostics() const { return files_.last_diagnostics(); }

// ---- opening ----

asio::awaitable<fugu::store> open_store(const std::string& directory,
                                        const args& a,
                                        open_mode mode,
                                        std::shared_ptr<readonly_storage> ro) {
    auto ex = co_await asio::this_coro::executor;
    fugu::options opts = options_from(a);
    diagnostics diag;
    auto token = asio::as_tuple(asio::use_awaitable);
    if (mode == open_mode::create) {
        auto [ec, s] = co_await fugu::store::async_open(ex, directory, opts, diag, token);
        if (ec) fail(ec, diag, directory);
        co_return std::move(s);
    }
    require_store(directory);
    if (mode == open_mode::existing) {
        opts.create_if_missing = false;
        auto [ec, s] = co_await fugu::store::async_open(ex, directory, opts, diag, token);
        if (ec) fail(ec, diag, directory);
        co_return std::move(s);
    }
    // Compaction writes; a read-side open must never start one.
    opts.background_compaction = false;
    if (!ro) ro = std::make_shared<readonly_storage>(ex, directory, opts);
    std::shared_ptr<fugu::storage> st = ro;
    auto [ec, s] = co_await fugu::store::async_open(ex, st, opts, diag, token);
    if (ec) {
        if (diag.message().empty()) diag = ro->last_diagnostics();
        fail(ec, diag, directory);
    }
    co_return std::move(s);
}

asio::awaitable<void> close_store(fugu::store& s, const std::string& directory) {
    auto [ec] = co_await s.async_close(asio::as_tuple(asio::use_awaitable));
    if (ec) fail(ec, s.failure(), directory);
}

int run_async(std::function<asio::awaitable<int>()> body) {
    asio::io_context ctx;
    int status = 0;
    std::exception_ptr error;
    asio::co_spawn(ctx, body(), [&](std::exception_ptr e, int r) {
        error = e;
        status = r;
    });
    ctx.run();
    if (error) std::rethrow_exception(error);
    return status;
}

}  // namespace fugu::cli
