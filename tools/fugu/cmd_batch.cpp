// SPDX-License-Identifier: MIT
// batch: a change set read from a file or stdin, saved atomically.
#include "cli.hpp"
#include "output.hpp"
#include "store_access.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>

namespace fugu::cli {

namespace asio = boost::asio;

namespace {

// Splits a line into whitespace-separated fields.
std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

// Parses the whole input into one change set; any bad line stops with its number.
change_set parse(const std::string& input, const encodings& enc, bool show_progress) {
    change_set c;
    progress bar("reading", input.size(), show_progress && input.size() >= (std::size_t{8} << 20));
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < input.size()) {
        std::size_t end = input.find('\n', pos);
        if (end == std::string::npos) end = input.size();
        std::string_view line(input.data() + pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto f = fields_of(line);
        if (f.empty() || f[0].starts_with('#')) continue;
        const std::string at = "line " + std::to_string(line_no);
        try {
            if (f[0] == "put" || f[0] == "set") {
                if (f.size() != 3)
                    throw failure(exit_code::usage, at + ": put takes a key and a value (write an empty one as \\e)");
                c.put(decode_field(f[1], enc.key, at + " key"), decode_field(f[2], enc.value, at + " value"));
            } else if (f[0] == "del" || f[0] == "delete" || f[0] == "remove") {
                if (f.size() != 2) throw failure(exit_code::usage, at + ": del takes one key");
                c.remove(decode_field(f[1], enc.key, at + " key"));
            } else {
                throw failure(exit_code::usage,
                              at + ": unknown operation \"" + escape_text(f[0]) + "\" (use put or del)");
            }
        } catch (const std::system_error& e) {
            throw failure(exit_code::usage, at + ": " + e.what());
        }
        if ((line_no & 4095) == 0) bar.update(pos);
    }
    bar.finish();
    return c;
}

int batch(std::string_view name, std::span<char* const> argv) {
    args a(name, argv, with_options({{"quiet", 'q', false}, {"dry-run", 0, false}}));
    const encodings enc = encodings_from(a);
    const std::string& dir = a.need(0, "DIR");
    const std::string& input_path = a.need(1, "FILE (- for stdin)");
    a.at_most(2);
    const std::string input = read_input(input_path);
    change_set c = parse(input, enc, !a.has("quiet"));
    const std::size_t puts = c.put_count(), removes = c.remove_count();
    if (a.has("dry-run")) {
        std::printf("would save %zu puts and %zu removes (%s)\n", puts, removes,
                    human_bytes(c.byte_size()).c_str());
        return 0;
    }
    std::uint64_t sequence = 0;
    run_async([&]() -> asio::awaitable<int> {
        fugu::store s = co_await open_store(dir, a, open_mode::create);
        diagnostics diag;
        auto [ec, seq] = co_await s.async_save(std::move(c), diag, asio::as_tuple(asio::use_awaitable));
        if (ec) fail(ec, diag, dir);
        sequence = seq;
        co_await close_store(s, dir);
        co_return 0;
    });
    if (!a.has("quiet"))
        std::printf("saved %zu puts and %zu removes atomically (sequence %llu)\n", puts, removes,
                    static_cast<unsigned long long>(sequence));
    return 0;
}

}  // namespace

command batch_command() {
    static const std::string h = help_text(R"(fugu batch - apply a change set atomically

Usage: fugu batch DIR FILE [options]        (FILE - reads stdin)

Reads one operation per line and saves them all as one change set: after a crash
either every line is in the store or none is. Creates the store when DIR does not
exist. A key may appear only once per batch.

Input format, one operation per line, fields separated by spaces or tabs:
  put KEY VALUE
  del KEY
Blank lines and lines starting with # are skipped. Fields are text with backslash
escapes (\\ \t \n \r \0, \s for a space, \xHH), or hex / base64 with -e; a field
that is exactly \e is empty. `fugu scan --batch` prints this format.

Options:
  -q, --quiet      print nothing on success
  --dry-run        parse and count, change nothing

Examples:
  printf 'put a 1\nput b 2\ndel c\n' | fugu batch ./data -
  fugu scan ./old --batch > dump.txt && fugu batch ./new dump.txt
)");
    return {"batch", "apply puts and removes from a file or stdin, atomically", h, batch};
}

}  // namespace fugu::cli
