// SPDX-License-Identifier: MIT
// The fuzz entry points. Each takes one input and throws fuzz_failure when an invariant
// breaks; libFuzzer (fuzz_main.cpp, clang only) and the replay test of the normal suite
// (replay_test.cpp, any compiler) call the same functions, so every corpus and regression
// input is checked in every build.
//
//   decoder   the slab bytes themselves: slab header, record walk, commit and seal bodies,
//             value blocks, the search for the next header; a decoded commit record must
//             encode back to the same bytes.
//   recovery  a memory store built from the input (recovery_input below): an open either
//             fails with an error, or succeeds and then keeps what it found across a save,
//             a compaction and two reopens.
//   api       operations decoded from the input against a store and std::map side by side,
//             with snapshots held across saves, compactions and reopens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace fugu::fuzz {

struct fuzz_failure : std::logic_error {
    using std::logic_error::logic_error;
};

void decoder(std::span<const std::uint8_t> input);
void recovery(std::span<const std::uint8_t> input);
void api(std::span<const std::uint8_t> input);

// A recovery input is a list of slabs, each: id (1 byte, 0 skipped), length (2 bytes,
// little-endian, cut to what remains), then that many bytes. A repeated id is skipped.
// encode_recovery_input builds one from slab images (seed corpora).
std::string encode_recovery_slab(std::uint8_t id, std::span<const std::byte> bytes);

}  // namespace fugu::fuzz
