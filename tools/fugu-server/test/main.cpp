// SPDX-License-Identifier: MIT
// Catch2 runner for fugu-server's unit tests (protocol, patterns, locks, commands).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
