// SPDX-License-Identifier: MIT
// fugu: the command-line tool for a Fugu store. Dispatches to one subcommand, prints
// help, and turns every failure into words on stderr and a documented exit status.
#include "cli.hpp"
#include "fugu_config.hpp"

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

namespace fugu::cli {
namespace {

constexpr std::string_view tool_help = R"(fugu - inspect, change, check and measure a Fugu store

Usage: fugu <command> DIR [arguments] [options]
       fugu <command> --help
       fugu --version

Commands:
)";

constexpr std::string_view tool_help_tail = R"(
Keys and values are byte strings. On the command line they are taken as typed; with
-e hex or -e base64 they are decoded first. In batch files and in scan output, text
uses backslash escapes (\\ \t \n \r \0 \s \xHH) so every record fits on one line.

Exit status:
  0  success (check: the store is clean)
  1  usage: unknown option, bad argument, bad input, a key or value over its limit
  2  not found: get found no such key
  3  locked: another process (or handle) has the store open
  4  no store: the directory is missing, is not a directory, is not a Fugu store,
     or was written by a newer Fugu
  5  corruption: damaged bytes (check found errors, or a read or the open hit them)
  6  I/O or system error: permission denied, disk full, an I/O error, ...
  7  damaged tail (check only): only the end of the newest slab is damaged; the next
     open cuts it off (normal after a crash, lost data after a clean close)

Examples:
  fugu put ./data fruit apple
  fugu get ./data fruit
  printf 'put a 1\nput b 2\ndel c\n' | fugu batch ./data -
  fugu scan ./data --from b --limit 10 --values
  fugu check ./data && echo clean
  fugu bench ./bench-data --json

More: docs/cli.md.
)";

}  // namespace

const std::vector<command>& commands() {
    static const std::vector<command> all = {
        put_command(),   get_command(),   del_command(),     batch_command(), scan_command(),
        stats_command(), check_command(), compact_command(), dump_command(),  bench_command(),
    };
    return all;
}

namespace {

void print_tool_help() {
    std::fputs(tool_help.data(), stdout);
    for (const auto& c : commands())
        std::printf("  %-8s %s\n", std::string(c.name).c_str(), std::string(c.summary).c_str());
    std::fputs(tool_help_tail.data(), stdout);
}

int main_impl(int argc, char** argv) {
    if (argc < 2) {
        print_tool_help();
        return static_cast<int>(exit_code::usage);
    }
    const std::string_view first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
        if (first == "help" && argc > 2) {
            for (const auto& c : commands())
                if (c.name == argv[2]) {
                    std::fputs(c.help.data(), stdout);
                    return 0;
                }
        }
        print_tool_help();
        return 0;
    }
    if (first == "--version") {
        std::printf("fugu %s (slab format 1)\n", FUGU_VERSION);
        return 0;
    }
    for (const auto& c : commands()) {
        if (c.name != first) continue;
        std::span<char* const> rest(argv + 2, static_cast<std::size_t>(argc - 2));
        for (char* a : rest) {
            if (std::strcmp(a, "--") == 0) break;
            if (std::strcmp(a, "--help") == 0 || std::strcmp(a, "-h") == 0) {
                std::fputs(c.help.data(), stdout);
                return 0;
            }
        }
        try {
            return c.run(c.name, rest);
        } catch (const failure& f) {
            std::fflush(stdout);
            std::fprintf(stderr, "fugu %s: %s\n", std::string(c.name).c_str(), f.what());
            return static_cast<int>(f.code());
        } catch (const boost::system::system_error& e) {
            std::fflush(stdout);
            std::fprintf(stderr, "fugu %s: %s\n", std::string(c.name).c_str(),
                         describe(e.code(), {}, "the store").c_str());
            return static_cast<int>(exit_code_for(e.code()));
        } catch (const std::system_error& e) {
            // change_set limits arrive this way.
            std::fflush(stdout);
            std::fprintf(stderr, "fugu %s: %s\n", std::string(c.name).c_str(), e.what());
            return static_cast<int>(exit_code::usage);
        } catch (const std::bad_alloc&) {
            std::fprintf(stderr, "fugu %s: out of memory\n", std::string(c.name).c_str());
            return static_cast<int>(exit_code::io_error);
        }
    }
    std::fprintf(stderr, "fugu: unknown command \"%s\" (see `fugu --help`)\n", argv[1]);
    return static_cast<int>(exit_code::usage);
}

}  // namespace
}  // namespace fugu::cli

int main(int argc, char** argv) {
    try {
        return fugu::cli::main_impl(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fugu: %s\n", e.what());
        return static_cast<int>(fugu::cli::exit_code::io_error);
    }
}
