// SPDX-License-Identifier: MIT
// Runs one fio job as a child process and reads the figures the append benchmark compares
// against from its JSON report. Stateless; each call spawns and waits for its own fio.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fugu::perf {

struct fio_result {
    double bytes_per_second = 0;  // as fio reports it (bw_bytes), end_fsync included
    double iops = 0;
    std::uint64_t bytes = 0;
};

// True when a `fio` that answers --version is on PATH.
bool fio_available();

// Runs `fio <args> --output-format=json`; nullopt with `why` set when fio failed or its
// report could not be read.
std::optional<fio_result> run_fio(const std::vector<std::string>& args, std::string& why);

}  // namespace fugu::perf
