// SPDX-License-Identifier: MIT
// scan: keys (and values) in ascending byte order from one snapshot.
#include "cli.hpp"
#include "store_access.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>

namespace fugu::cli {

namespace asio = boost::asio;

namespace {

int scan(std::string_view name, std::span<char* const> argv) {
    args a(name, argv,
           with_options({{"from", 0, true},
                         {"prefix", 'p', true},
                         {"limit", 'n', true},
                         {"values", 'v', false},
                         {"batch", 0, false},
                         {"count", 'c', false}}));
    const encodings enc = encodings_from(a);
    const std::string& dir = a.need(0, "DIR");
    a.at_most(1);
    const std::string prefix = a.has("prefix") ? decode_arg(*a.get("prefix"), enc.key, "--prefix") : "";
    std::string from = a.has("from") ? decode_arg(*a.get("from"), enc.key, "--from") : "";
    if (from < prefix) from = prefix;
    const std::uint64_t limit = a.get_uint("limit", UINT64_MAX);
    const bool as_batch = a.has("batch");
    const bool values = a.has("values") || as_batch;
    const bool count_only = a.has("count");

    return run_async([&]() -> asio::awaitable<int> {
        fugu::store s = co_await open_store(dir, a, open_mode::read_side);
        fugu::snapshot snap = co_await s.async_snapshot(asio::use_awaitable);
        std::uint64_t n = 0;
        std::string line;
        for (std::string_view key : snap.keys_from(from)) {
            if (n >= limit) break;
            if (!key.starts_with(prefix)) break;
            ++n;
            if (count_only) continue;
            line.clear();
            if (as_batch) line += "put ";
            line += encode_field(key, enc.key);
            if (values) {
                diagnostics diag;
                auto [ec, v] = co_await snap.async_read(key, diag, asio::as_tuple(asio::use_awaitable));
                if (ec) fail(ec, diag, dir);
                line += as_batch ? ' ' : '\t';
                line += encode_field(v.value_or(std::string()), enc.value);
            }
            line += '\n';
            std::fwrite(line.data(), 1, line.size(), stdout);
        }
        if (count_only) std::printf("%llu\n", static_cast<unsigned long long>(n));
        snap = fugu::snapshot{};
        co_await close_store(s, dir);
        co_return 0;
    });
}

}  // namespace

command scan_command() {
    static const std::string h = help_text(R"(fugu scan - list keys in order

Usage: fugu scan DIR [options]

Prints the live keys in ascending byte order, one per line, from one consistent
snapshot. Keys and values are printed escaped (text: \\ \t \n \r \s \xHH; an empty
one as \e) or as hex / base64 with -e, so every entry is one line.

Options:
  --from KEY         start at the first key >= KEY
  -p, --prefix P     only keys starting with P
  -n, --limit N      at most N keys
  -v, --values       print KEY<tab>VALUE
  --batch            print `put KEY VALUE` lines that `fugu batch` reads back
  -c, --count        print only the number of keys

Examples:
  fugu scan ./data
  fugu scan ./data --from user: --limit 10 --values
  fugu scan ./data --prefix user: --count
  fugu scan ./data --batch > copy.txt
)");
    return {"scan", "list keys (and values) in order, from a start key, with a limit", h, scan};
}

}  // namespace fugu::cli
