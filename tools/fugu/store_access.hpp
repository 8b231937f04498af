// SPDX-License-Identifier: MIT
// Opening a store the way each subcommand needs it: creating it for writes, requiring an
// existing one for compaction, or read-side for reads and `check`. A read-side open goes
// through readonly_storage, so reading never changes the directory: a torn tail that a
// normal open would cut off stays on disk, and the output slab the store needs is kept
// in RAM. Also the io_context runner the subcommands share. Single-threaded.
#pragma once

#include "cli.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace fugu::cli {

// What is at a path before anything opens it.
struct directory_facts {
    bool exists = false;
    bool is_directory = false;
    bool has_lock_file = false;
    std::size_t slab_files = 0;      // permanent and temporary
    std::size_t other_files = 0;     // names that are neither LOCK nor a slab
};
directory_facts inspect_directory(const std::string& path);

// failure(no_store) unless `path` is a directory holding a Fugu store (a LOCK or a slab).
void require_store(const std::string& path);

enum class open_mode {
    create,     // put, del, batch: create the store when the directory is missing
    existing,   // compact: the store must exist
    read_side,  // get, scan, stats, check: existing, and nothing on disk changes
};

// options from --durability, --io-engine, --slab-size, --no-background-compaction.
fugu::options options_from(const args& a);

// A fugu::storage over file_storage that never changes the directory: slabs are read
// from their files, truncation only shortens the view, new slabs live in RAM, removals
// are skipped. lock() may be called ahead of the store's open (check holds the lock
// while it reads the files itself); the store's own lock() then finds it held.
class readonly_storage final : public fugu::storage {
public:
    readonly_storage(boost::asio::any_io_executor ex, std::string directory, const options& opts);
    ~readonly_storage() override;

    error_code lock() override;
    void unlock() noexcept override;
    result<std::vector<slab_entry>> list() override;
    result<std::shared_ptr<slab>> create(std::uint64_t id, bool temporary) override;
    result<std::shared_ptr<slab>> open(std::uint64_t id) override;
    error_code publish(std::uint64_t id) override;
    error_code remove(std::uint64_t id, bool temporary) override;
    std::string location() const override;
    diagnostics last_diagnostics() const override;

    // The engine the files are read with, for stats (the store itself sees RAM slabs
    // for its output).
    std::string engine_name() const { return std::string(files_.engine_name()); }
    const std::string& engine_note() const { return files_.engine_note(); }


private:
    boost::asio::any_io_executor ex_;
    fugu::file_storage files_;
    fugu::memory_storage ram_;
    bool locked_ = false;
};

// Opens the store in `directory`. Failures throw fugu::cli::failure with words and the
// exit status (exit_code_for). With open_mode::read_side, `ro` (when given) receives the
// storage used, e.g. to ask what the open wanted to change.
boost::asio::awaitable<fugu::store> open_store(const std::string& directory,
                                               const args& a,
                                               open_mode mode,
                                               std::shared_ptr<readonly_storage> ro = nullptr);

// Closes the store; a failure to close is reported like any other.
boost::asio::awaitable<void> close_store(fugu::store& s, const std::string& directory);

// Runs `body` on a fresh io_context until it and everything it started are done, and
// returns its result; exceptions from it propagate.
int run_async(std::function<boost::asio::awaitable<int>()> body);

}  // namespace fugu::cli
