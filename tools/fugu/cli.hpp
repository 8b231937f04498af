// SPDX-License-Identifier: MIT
// Shared pieces of the `fugu` command-line tool: exit codes, the error a subcommand
// throws to stop with one, argument parsing, key and value encodings, and the table of
// subcommands that main.cpp dispatches on. Single-threaded; nothing here is shared
// between threads.
#pragma once

#include <fugu/error.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fugu::cli {

// Exit statuses, documented in docs/cli.md and `fugu --help`. Scripts rely on them:
// never renumber, only add.
enum class exit_code : int {
    ok = 0,
    usage = 1,          // bad arguments or input (unknown option, bad encoding, limits)
    not_found = 2,      // get: the key is absent
    locked = 3,         // another process (or handle) has the store open
    no_store = 4,       // missing directory, not a directory, not a Fugu store, newer format
    corruption = 5,     // damaged bytes (check found errors, or a read or open hit them)
    io_error = 6,       // a system error: permissions, I/O, disk full, ...
    damaged_tail = 7,   // check: only the end of the newest slab is damaged (see docs/cli.md)
};

// Thrown by a subcommand to stop with `code` after printing `message` as
// "fugu <command>: <message>" on stderr.
class failure : public std::runtime_error {
public:
    failure(exit_code code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    exit_code code() const noexcept { return code_; }

private:
    exit_code code_;
};

// ---- Arguments ----

struct option_spec {
    std::string_view name;       // long name without dashes: "limit"
    char short_name = 0;         // 'n', or 0
    bool takes_value = false;
};

// The options common to subcommands that open a store, appended by commands that do.
extern const std::vector<option_spec> store_option_specs;
// --encoding, --key-encoding, --value-encoding.
extern const std::vector<option_spec> encoding_option_specs;

// `own`, plus the encoding options and the store options when asked.
std::vector<option_spec> with_options(std::vector<option_spec> own, bool encodings = true,
                                      bool store = true);

// A subcommand's help: `body`, then the shared sections on encodings and store options.
std::string help_text(std::string_view body, bool encodings = true, bool store = true);

class args {
public:
    // Parses argv after the subcommand name. Throws failure(usage) on an unknown option
    // or a missing value; `--` ends the options.
    args(std::string_view command, std::span<char* const> argv, std::vector<option_spec> specs);

    bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
    std::optional<std::string> get(std::string_view name) const;
    std::string get_or(std::string_view name, std::string fallback) const;
    // A non-negative integer option; accepts k/m/g suffixes (powers of 1024 after a size
    // option, of 1000 otherwise) so `--saves 200k` and `--value-size 4k` both read well.
    std::uint64_t get_uint(std::string_view name, std::uint64_t fallback, bool size = false) const;

    const std::vector<std::string>& positional() const noexcept { return positional_; }
    // The positional argument `i`, or failure(usage) naming `what`.
    const std::string& need(std::size_t i, std::string_view what) const;
    // failure(usage) when more than `n` positional arguments were given.
    void at_most(std::size_t n) const;

    std::string_view command() const noexcept { return command_; }

private:
    std::string command_;
    std::map<std::string, std::string> values_;  // flags map to ""
    std::vector<std::string> positional_;
};

// ---- Encodings of keys and values ----

enum class encoding { text, hex, base64 };

encoding parse_encoding(std::string_view name);

struct encodings {
    encoding key = encoding::text;
    encoding value = encoding::text;
};
// From --encoding, then --key-encoding / --value-encoding.
encodings encodings_from(const args& a);

// Decodes a command-line argument. Text is taken as is (the shell already delivered
// the exact bytes); hex and base64 are decoded. Throws failure(usage) naming `what`.
std::string decode_arg(std::string_view in, encoding e, std::string_view what);

// Decodes a field of a batch file or an escaped text: text fields use backslash escapes
// (\\ \t \n \r \0 \s for a space, \xHH) so that any byte can be written on one line.
// A field that is exactly \e is empty, in every encoding.
std::string decode_field(std::string_view in, encoding e, std::string_view what);

// Encodes bytes for printing on one line. Text escapes with the same rules decode_field
// reads, so `scan` output can be fed back to `batch`; empty bytes give \e.
std::string encode_field(std::string_view bytes, encoding e);

std::string escape_text(std::string_view bytes);
std::string to_hex(std::string_view bytes);
std::string to_base64(std::string_view bytes);

// Reads a whole file, or stdin for "-". Throws failure(io_error) with the reason.
std::string read_input(const std::string& path);

// ---- Errors in words ----

// The exit status for an error the library returned.
exit_code exit_code_for(const error_code& ec);

// "no store at DIR: ..." and the like: what went wrong and what to do, plus what the
// diagnostics say about file and offset.
std::string describe(const error_code& ec, const diagnostics& diag, std::string_view directory);

// Throws failure(exit_code_for(ec), describe(ec, diag, directory)).
[[noreturn]] void fail(const error_code& ec, const diagnostics& diag, std::string_view directory);

// ---- Subcommands ----

struct command {
    std::string_view name;
    std::string_view summary;  // one line for `fugu --help`
    std::string_view help;     // the whole text of `fugu <name> --help`
    int (*run)(std::string_view name, std::span<char* const> argv);
};

const std::vector<command>& commands();

// Defined in the command files (cmd_*.cpp); each parses its own arguments.
command put_command();
command get_command();
command del_command();
command batch_command();
command scan_command();
command stats_command();
command check_command();
command compact_command();
command dump_command();
command bench_command();

}  // namespace fugu::cli
