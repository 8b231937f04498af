// SPDX-License-Identifier: MIT
// put, get, del: one key at a time (del takes several, removed atomically).
#include "cli.hpp"
#include "store_access.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstring>

namespace fugu::cli {

namespace asio = boost::asio;

namespace {

// Builds a change set, turning a limit error into words.
void add_put(change_set& c, const std::string& key, const std::string& value) {
    try {
        c.put(key, value);
    } catch (const std::system_error& e) {
        throw failure(exit_code::usage, std::string("cannot save: ") + e.what() + " (key " +
                                            std::to_string(key.size()) + " bytes, value " +
                                            std::to_string(value.size()) + " bytes; limits: key " +
                                            std::to_string(max_key_size) + ", value " +
                                            std::to_string(max_value_size) + ")");
    }
}

asio::awaitable<void> save(const std::string& dir, const args& a, change_set changes) {
    fugu::store s = co_await open_store(dir, a, open_mode::create);
    diagnostics diag;
    auto [ec, seq] = co_await s.async_save(std::move(changes), diag, asio::as_tuple(asio::use_awaitable));
    if (ec) fail(ec, diag, dir);
    co_await close_store(s, dir);
}

int put(std::string_view name, std::span<char* const> argv) {
    args a(name, argv, with_options({{"value-file", 'f', true}}));
    const encodings enc = encodings_from(a);
    const std::string& dir = a.need(0, "DIR");
    const std::string key = decode_arg(a.need(1, "KEY"), enc.key, "KEY");
    std::string value;
    if (auto file = a.get("value-file")) {
        if (a.positional().size() > 2)
            throw failure(exit_code::usage, "give the value as an argument or with --value-file, not both");
        value = read_input(*file);
    } else {
        value = decode_arg(a.need(2, "VALUE (or --value-file FILE, - for stdin)"), enc.value, "VALUE");
    }
    a.at_most(3);
    change_set c;
    add_put(c, key, value);
    return run_async([&]() -> asio::awaitable<int> {
        co_await save(dir, a, std::move(c));
        co_return 0;
    });
}

int del(std::string_view name, std::span<char* const> argv) {
    args a(name, argv, with_options({}));
    const encodings enc = encodings_from(a);
    const std::string& dir = a.need(0, "DIR");
    a.need(1, "KEY");
    change_set c;
    for (std::size_t i = 1; i < a.positional().size(); ++i) {
        const std::string key = decode_arg(a.positional()[i], enc.key, "KEY");
        try {
            c.remove(key);
        } catch (const std::system_error& e) {
            throw failure(exit_code::usage, std::string("cannot remove: ") + e.what());
        }
    }
    return run_async([&]() -> asio::awaitable<int> {
        co_await save(dir, a, std::move(c));
        co_return 0;
    });
}

int get(std::string_view name, std::span<char* const> argv) {
    args a(name, argv, with_options({{"output", 'o', true}, {"no-newline", 'n', false}}));
    const encodings enc = encodings_from(a);
    const std::string& dir = a.need(0, "DIR");
    const std::string key = decode_arg(a.need(1, "KEY"), enc.key, "KEY");
    a.at_most(2);
    std::optional<std::string> value;
    run_async([&]() -> asio::awaitable<int> {
        fugu::store s = co_await open_store(dir, a, open_mode::read_side);
        diagnostics diag;
        auto [ec, v] = co_await s.async_get(key, diag, asio::as_tuple(asio::use_awaitable));
        if (ec) fail(ec, diag, dir);
        value = std::move(v);
        co_await close_store(s, dir);
        co_return 0;
    });
    if (!value) throw failure(exit_code::not_found, "no such key in " + dir);
    if (auto out = a.get("output")) {
        std::FILE* f = *out == "-" ? stdout : std::fopen(out->c_str(), "wb");
        if (!f) throw failure(exit_code::io_error, "cannot write " + *out + ": " + std::strerror(errno));
        const bool ok = std::fwrite(value->data(), 1, value->size(), f) == value->size();
        const bool closed = f == stdout ? std::fflush(f) == 0 : std::fclose(f) == 0;
        if (!ok || !closed) throw failure(exit_code::io_error, "cannot write " + *out);
        return 0;
    }
    const std::string shown = enc.value == encoding::text ? *value : encode_field(*value, enc.value);
    std::fwrite(shown.data(), 1, shown.size(), stdout);
    if (!a.has("no-newline")) std::fputc('\n', stdout);
    return 0;
}

}  // namespace

command put_command() {
    static const std::string h = help_text(R"(fugu put - set one key to a value

Usage: fugu put DIR KEY VALUE [options]
       fugu put DIR KEY --value-file FILE [options]     (FILE - reads stdin)

Creates the store when DIR does not exist. The save is durable when the command
returns (with the default --durability fsync).

Options:
  -f, --value-file FILE   take the value's bytes from FILE, or stdin for -

Examples:
  fugu put ./data fruit apple
  fugu put ./data photo --value-file cat.jpg
  fugu put ./data -e hex 00ff 68656c6c6f
)");
    return {"put", "set one key to a value (from the argument, a file or stdin)", h, put};
}

command get_command() {
    static const std::string h = help_text(R"(fugu get - print the value of one key

Usage: fugu get DIR KEY [options]

Prints the value followed by a newline (text), or encoded with --value-encoding.
Exits 2 when the key is absent. Reading never changes the store.

Options:
  -o, --output FILE   write the value's exact bytes to FILE (- for stdout), no newline
  -n, --no-newline    do not add a newline

Examples:
  fugu get ./data fruit
  fugu get ./data photo -o cat.jpg
  fugu get ./data fruit --value-encoding base64
)");
    return {"get", "print the value of one key (exit 2 when absent)", h, get};
}

command del_command() {
    static const std::string h = help_text(R"(fugu del - remove keys

Usage: fugu del DIR KEY [KEY...] [options]

Removes every KEY given, atomically (one change set). Removing an absent key is fine.

Examples:
  fugu del ./data fruit
  fugu del ./data a b c
)");
    return {"del", "remove one or more keys, atomically", h, del};
}

}  // namespace fugu::cli
