// SPDX-License-Identifier: MIT
// The fugu error category.
#include <fugu/error.hpp>

#include <string>

namespace fugu {
namespace {

class category final : public boost::system::error_category {
public:
    // A fixed id keeps the category unique even if the library is loaded twice.
    constexpr category() noexcept : error_category(0x66d9e1c7a3b2f104ULL) {}

    const char* name() const noexcept override { return "fugu"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::store_locked:
                return "the store is locked by another handle or process; close it there first";
            case errc::store_closed:
                return "the store handle is empty or closed; open the store again";
            case errc::duplicate_key:
                return "a change set names the same key twice; put or remove each key once";
            case errc::key_too_large:
                return "key longer than fugu::max_key_size";
            case errc::value_too_large:
                return "value longer than fugu::max_value_size";
            case errc::change_set_too_large:
                return "change set larger than fugu::max_change_set_size; split it";
            case errc::corruption:
                return "data on disk failed a checksum or consistency check (see diagnostics for "
                       "file and offset)";
            case errc::unknown_format_version:
                return "slab written by an unknown format version; use a newer Fugu";
            case errc::not_a_store:
                return "the directory holds files that are not a Fugu store";
            case errc::store_exists:
                return "a store already exists there and options.error_if_exists is set";
            case errc::store_not_found:
                return "no store there and options.create_if_missing is false";
            case errc::store_failed:
                return "an earlier durable write failed; close and reopen the store";
            case errc::io_engine_unavailable:
                return "the requested I/O engine is not available on this machine";
            case errc::invalid_option:
                return "an option is outside its documented range";
            case errc::would_block:
                return "the value cannot be had without waiting; use the asynchronous call";
        }
        return "unknown fugu error " + std::to_string(ev);
    }
};

const category the_category;

}  // namespace

const boost::system::error_category& fugu_category() noexcept { return the_category; }

}  // namespace fugu
