// SPDX-License-Identifier: MIT
// A copy of a closed store's directory, so that every job needing a filled store starts
// from an identical one without filling it again.
#pragma once

#include <filesystem>

namespace fugu::bench {

// Copies the tree `from` into the new directory `to`: data ranges only (holes stay
// holes), through copy_file_range (a reflink where the file system shares extents), then
// syncs the file system so that the copy's write-back does not run into the next timed job.
void copy_store(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace fugu::bench
