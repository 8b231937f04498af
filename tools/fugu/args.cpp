// SPDX-License-Identifier: MIT
// Argument parsing: GNU-style long options (--name value, --name=value), single-letter
// short options, flags, positionals, and `--` to end the options.
#include "cli.hpp"

#include <algorithm>
#include <cctype>

namespace fugu::cli {

const std::vector<option_spec> store_option_specs = {
    {"durability", 0, true},
    {"io-engine", 0, true},
    {"slab-size", 0, true},
    {"no-background-compaction", 0, false},
};

const std::vector<option_spec> encoding_option_specs = {
    {"encoding", 'e', true},
    {"key-encoding", 0, true},
    {"value-encoding", 0, true},
};

std::vector<option_spec> with_options(std::vector<option_spec> own, bool encodings, bool store) {
    if (encodings) own.insert(own.end(), encoding_option_specs.begin(), encoding_option_specs.end());
    if (store) own.insert(own.end(), store_option_specs.begin(), store_option_specs.end());
    return own;
}

namespace {

constexpr std::string_view store_options_help = R"(
Store options:
  --durability fsync|os_buffered     when a save counts as done (default fsync)
  --io-engine auto|io_uring|threads  slab I/O engine (default auto)
  --slab-size BYTES                  base slab size (default 4m; 64k .. 1g)
  --no-background-compaction         compact only when asked (fugu compact)
)";

constexpr std::string_view encoding_help = R"(
Encodings:
  -e, --encoding text|hex|base64     keys and values (default text)
  --key-encoding ENC, --value-encoding ENC
)";

}  // namespace

std::string help_text(std::string_view body, bool encodings, bool store) {
    std::string h(body);
    if (encodings) h += encoding_help;
    if (store) h += store_options_help;
    return h;
}

namespace {

[[noreturn]] void usage_error(std::string_view command, const std::string& what) {
    throw failure(exit_code::usage,
                  what + " (see `fugu " + std::string(command) + " --help`)");
}

}  // namespace

args::args(std::string_view command, std::span<char* const> argv, std::vector<option_spec> specs)
    : command_(command) {
    auto find_long = [&](std::string_view n) -> const option_spec* {
        for (const auto& s : specs)
            if (s.name == n) return &s;
        return nullptr;
    };
    auto find_short = [&](char c) -> const option_spec* {
        for (const auto& s : specs)
            if (s.short_name == c) return &s;
        return nullptr;
    };
    bool options_done = false;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string_view a = argv[i];
        if (options_done || a == "-" || a.size() < 2 || a[0] != '-') {
            positional_.emplace_back(a);
            continue;
        }
        if (a == "--") {
            options_done = true;
            continue;
        }
        const option_spec* spec = nullptr;
        std::optional<std::string> inline_value;
        std::string shown;
        if (a.starts_with("--")) {
            std::string_view n = a.substr(2);
            if (auto eq = n.find('='); eq != std::string_view::npos) {
                inline_value = std::string(n.substr(eq + 1));
                n = n.substr(0, eq);
            }
            shown = "--" + std::string(n);
            spec = find_long(n);
        } else {
            // "-n": a short option; "-n5" carries its value.
            shown = std::string(a.substr(0, 2));
            spec = find_short(a[1]);
            if (spec && a.size() > 2) inline_value = std::string(a.substr(2));
            // A negative number is not an option; keep it as a positional.
            if (!spec && std::isdigit(static_cast<unsigned char>(a[1]))) {
                positional_.emplace_back(a);
                continue;
            }
        }
        if (!spec) usage_error(command_, "unknown option " + shown);
        std::string value;
        if (spec->takes_value) {
            if (inline_value) {
                value = *inline_value;
            } else if (i + 1 < argv.size()) {
                value = argv[++i];
            } else {
                usage_error(command_, shown + " needs a value");
            }
        } else if (inline_value) {
            usage_error(command_, shown + " takes no value");
        }
        values_[std::string(spec->name)] = std::move(value);
    }
}

std::optional<std::string> args::get(std::string_view name) const {
    auto it = values_.find(std::string(name));
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::string args::get_or(std::string_view name, std::string fallback) const {
    auto v = get(name);
    return v ? *v : std::move(fallback);
}

std::uint64_t args::get_uint(std::string_view name, std::uint64_t fallback, bool size) const {
    auto v = get(name);
    if (!v) return fallback;
    const std::string& s = *v;
    std::size_t digits = 0;
    while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
    std::uint64_t mult = 1;
    const std::uint64_t base = size ? 1024 : 1000;
    bool ok = digits > 0 && digits <= 18;
    if (ok && digits < s.size()) {
        const std::string suffix = s.substr(digits);
        if (suffix == "k" || suffix == "K") mult = base;
        else if (suffix == "m" || suffix == "M") mult = base * base;
        else if (suffix == "g" || suffix == "G") mult = base * base * base;
        else ok = false;
    }
    if (!ok) usage_error(command_, "--" + std::string(name) + " wants a whole number, not \"" + s + "\"");
    return std::stoull(s.substr(0, digits)) * mult;
}

const std::string& args::need(std::size_t i, std::string_view what) const {
    if (i >= positional_.size()) usage_error(command_, "missing " + std::string(what));
    return positional_[i];
}

void args::at_most(std::size_t n) const {
    if (positional_.size() > n)
        usage_error(command_, "unexpected argument \"" + positional_[n] + "\"");
}

}  // namespace fugu::cli
