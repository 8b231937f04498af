// SPDX-License-Identifier: MIT
// Errors in words that say what to do, and the exit status of each.
#include "cli.hpp"

#include <boost/system/errc.hpp>

namespace fugu::cli {

namespace {

bool is_errno(const error_code& ec, boost::system::errc::errc_t e) {
    return ec == boost::system::errc::make_error_condition(e);
}

}  // namespace

exit_code exit_code_for(const error_code& ec) {
    if (ec.category() == fugu_category()) {
        switch (static_cast<errc>(ec.value())) {
        case errc::store_locked: return exit_code::locked;
        case errc::not_a_store:
        case errc::store_not_found:
        case errc::unknown_format_version: return exit_code::no_store;
        case errc::corruption: return exit_code::corruption;
        case errc::duplicate_key:
        case errc::key_too_large:
        case errc::value_too_large:
        case errc::change_set_too_large:
        case errc::invalid_option:
        case errc::store_exists: return exit_code::usage;
        default: return exit_code::io_error;
        }
    }
    if (is_errno(ec, boost::system::errc::not_a_directory) ||
        is_errno(ec, boost::system::errc::no_such_file_or_directory))
        return exit_code::no_store;
    return exit_code::io_error;
}

std::string describe(const error_code& ec, const diagnostics& diag, std::string_view directory) {
    const std::string dir(directory);
    std::string words;
    if (ec.category() == fugu_category()) {
        switch (static_cast<errc>(ec.value())) {
        case errc::store_locked:
            words = "the store in " + dir +
                    " is locked by another process (or another handle in this one); close "
                    "that program first, then try again";
            break;
        case errc::not_a_store:
            words = dir + " is not a Fugu directory: it holds other files and no store; "
                          "name an empty or new directory";
            break;
        case errc::store_not_found:
            words = "no store at " + dir +
                    ": the directory does not exist (check the path; `fugu put` and `fugu "
                    "batch` create a store)";
            break;
        case errc::unknown_format_version:
            words = "the store in " + dir +
                    " was written by a newer version of Fugu; use that version";
            break;
        case errc::corruption:
            words = "the store in " + dir + " is damaged; run `fugu check " + dir +
                    "` to list every problem";
            break;
        case errc::store_failed:
            words = "a durable write failed earlier and the store stopped taking saves; "
                    "reopen it";
            break;
        case errc::io_engine_unavailable:
            words = "the requested I/O engine is not available here; try --io-engine threads";
            break;
        default:
            words = ec.message();
        }
    } else if (is_errno(ec, boost::system::errc::not_a_directory)) {
        words = dir + " is not a directory";
    } else if (is_errno(ec, boost::system::errc::permission_denied) ||
               is_errno(ec, boost::system::errc::operation_not_permitted)) {
        words = "permission denied in " + dir + " (" + ec.message() + ")";
    } else {
        words = ec.message() + " (in " + dir + ")";
    }
    // The words above say all there is for a lock or a missing store; elsewhere the
    // diagnostics name the file and what was wrong with it.
    const bool plain = ec == errc::store_locked || ec == errc::store_not_found;
    if (plain) return words;
    if (!diag.message().empty()) words += "\n  " + diag.message();
    if (!diag.file().empty() && diag.message().find(diag.file()) == std::string::npos)
        words += " [" + diag.file() + ":" + std::to_string(diag.offset()) + "]";
    return words;
}

void fail(const error_code& ec, const diagnostics& diag, std::string_view directory) {
    throw failure(exit_code_for(ec), describe(ec, diag, directory));
}

}  // namespace fugu::cli
