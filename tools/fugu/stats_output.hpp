// SPDX-License-Identifier: MIT
// How store_stats are printed, shared by stats, compact and bench.
#pragma once

#include "output.hpp"

#include <fugu/stats.hpp>

#include <string>

namespace fugu::cli {

void write_stats_json(json_writer& j, const store_stats& s);
void print_stats(const store_stats& s, const std::string& directory);

}  // namespace fugu::cli
