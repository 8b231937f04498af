// SPDX-License-Identifier: MIT
// child_process: runs another executable with pipes on its standard input and output,
// for tests that need a second process (posix_spawn, so nothing runs between fork and
// exec in this multi-threaded test binary). The object owns the child: its destructor
// kills and reaps one still running.
#pragma once

#include <cerrno>
#include <cstring>
#include <csignal>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace fugu::test {

class child_process {
public:
    explicit child_process(std::vector<std::string> args) {
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        posix_spawn_file_actions_t actions;
        ::posix_spawn_file_actions_init(&actions);
        ::posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
        ::posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        ::posix_spawn_file_actions_destroy(&actions);
        ::close(in[0]);
        ::close(out[1]);
        to_child_ = in[1];
        from_child_ = out[0];
        if (rc != 0) {
            pid_ = -1;
            throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
        }
    }

    ~child_process() {
        close_stdin();
        if (from_child_ >= 0) ::close(from_child_);
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            wait();
        }
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const noexcept { return pid_; }

    // One line of the child's output without the newline; empty at end of output.
    std::string read_line() {
        std::string line;
        char c;
        for (;;) {
            const ssize_t n = ::read(from_child_, &c, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0 || c == '\n') return line;
            line += c;
        }
    }

    void close_stdin() noexcept {
        if (to_child_ >= 0) ::close(std::exchange(to_child_, -1));
    }

    void kill(int sig) noexcept { ::kill(pid_, sig); }

    // The exit status, or 128 + the signal that ended it (as a shell reports it).
    int wait() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0) {
            if (errno != EINTR) throw std::runtime_error("waitpid failed");
        }
        reaped_ = true;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
    }

private:
    pid_t pid_ = -1;
    int to_child_ = -1;
    int from_child_ = -1;
    bool reaped_ = false;
};

}  // namespace fugu::test
