// SPDX-License-Identifier: MIT
// Umbrella header: everything a program needs to use Fugu.
#pragma once

#include <fugu/change_set.hpp>
#include <fugu/error.hpp>
#include <fugu/file_storage.hpp>
#include <fugu/limits.hpp>
#include <fugu/memory_storage.hpp>
#include <fugu/options.hpp>
#include <fugu/snapshot.hpp>
#include <fugu/stats.hpp>
#include <fugu/storage.hpp>
#include <fugu/store.hpp>
