// SPDX-License-Identifier: MIT
// The export macro: the library is built with hidden symbols, and FUGU_EXPORT marks the
// public API that programs link against.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define FUGU_EXPORT __attribute__((visibility("default")))
#else
#define FUGU_EXPORT
#endif
