// SPDX-License-Identifier: MIT
// The fio child process and its JSON report (jobs[0].write.{bw_bytes, iops, io_bytes}).
// fio is run through posix_spawnp with an argument vector, so a directory name with
// spaces or quotes needs no shell quoting.
#include "fio_job.hpp"

#include <boost/json/src.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace fugu::perf {
namespace {

// Runs `argv` with stdout captured and stderr to /dev/null; returns the exit status, or
// -1 when the program could not be started.
int run_captured(const std::vector<std::string>& argv, std::string& out) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (rc != 0) {
        ::close(pipe_fds[0]);
        return -1;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    ::close(pipe_fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double as_double(const boost::json::value& v) {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return 0;
}

}  // namespace

bool fio_available() {
    std::string out;
    return run_captured({"fio", "--version"}, out) == 0;
}

std::optional<fio_result> run_fio(const std::vector<std::string>& args, std::string& why) {
    std::vector<std::string> argv{"fio"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--output-format=json");
    std::string out;
    int status = run_captured(argv, out);
    if (status != 0) {
        why = status < 0 ? "fio could not be started"
                         : "fio exited with status " + std::to_string(status);
        return std::nullopt;
    }
    // fio may print notes before the report; the JSON starts at the first brace.
    auto start = out.find('{');
    if (start == std::string::npos) {
        why = "fio printed no JSON report";
        return std::nullopt;
    }
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(std::string_view(out).substr(start), ec);
    if (ec) {
        why = "fio's JSON report did not parse: " + ec.message();
        return std::nullopt;
    }
    const auto* jobs = doc.is_object() ? doc.as_object().if_contains("jobs") : nullptr;
    if (!jobs || !jobs->is_array() || jobs->as_array().empty()) {
        why = "fio's report has no jobs";
        return std::nullopt;
    }
    const auto& job = jobs->as_array().front().as_object();
    if (const auto* err = job.if_contains("error"); err && as_double(*err) != 0) {
        why = "fio's job failed with error " + std::to_string(static_cast<int>(as_double(*err)));
        return std::nullopt;
    }
    const auto* write = job.if_contains("write");
    if (!write || !write->is_object()) {
        why = "fio's report has no write figures";
        return std::nullopt;
    }
    const auto& w = write->as_object();
    fio_result r;
    if (const auto* v = w.if_contains("bw_bytes")) r.bytes_per_second = as_double(*v);
    if (const auto* v = w.if_contains("iops")) r.iops = as_double(*v);
    if (const auto* v = w.if_contains("io_bytes"))
        r.bytes = static_cast<std::uint64_t>(as_double(*v));
    return r;
}

}  // namespace fugu::perf
