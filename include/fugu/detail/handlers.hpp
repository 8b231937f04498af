// SPDX-License-Identifier: MIT
// What the public templates must see: the type-erased handler types and the compiled
// entry points they forward to. Not part of the API; names here may change.
#pragma once

#include <fugu/change_set.hpp>
#include <fugu/detail/config.hpp>
#include <fugu/error.hpp>
#include <fugu/options.hpp>
#include <fugu/storage.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace fugu {
class store;
class snapshot;
}  // namespace fugu

namespace fugu::detail {

class store_impl;
class snapshot_state;
struct snapshot_access;

using open_handler = boost::asio::any_completion_handler<void(error_code, store)>;
using save_handler = boost::asio::any_completion_handler<void(error_code, std::uint64_t)>;
using snapshot_handler = boost::asio::any_completion_handler<void(error_code, snapshot)>;
using value_handler =
    boost::asio::any_completion_handler<void(error_code, std::optional<std::string>)>;
using done_handler = boost::asio::any_completion_handler<void(error_code)>;

FUGU_EXPORT void async_open_impl(boost::asio::any_io_executor ex,
                                 std::string directory,
                                 options opts,
                                 diagnostics* diag,
                                 open_handler handler);
FUGU_EXPORT void async_open_impl(boost::asio::any_io_executor ex,
                                 std::shared_ptr<fugu::storage> storage,
                                 options opts,
                                 diagnostics* diag,
                                 open_handler handler);
FUGU_EXPORT void async_save_impl(const std::shared_ptr<store_impl>& impl,
                                 change_set changes,
                                 diagnostics* diag,
                                 save_handler handler);
FUGU_EXPORT void async_snapshot_impl(const std::shared_ptr<store_impl>& impl,
                                     snapshot_handler handler);
FUGU_EXPORT void async_get_impl(const std::shared_ptr<store_impl>& impl,
                                std::string key,
                                diagnostics* diag,
                                value_handler handler);
FUGU_EXPORT void async_compact_impl(const std::shared_ptr<store_impl>& impl,
                                    done_handler handler);
FUGU_EXPORT void async_close_impl(const std::shared_ptr<store_impl>& impl, done_handler handler);
FUGU_EXPORT void async_read_impl(const std::shared_ptr<snapshot_state>& state,
                                 std::string key,
                                 diagnostics* diag,
                                 value_handler handler);

}  // namespace fugu::detail
