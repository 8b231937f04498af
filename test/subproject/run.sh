#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds test/subproject/consumer, a separate Meson project that pulls Fugu in as a
# subproject, in a scratch directory, and runs it. Usage: run.sh <fugu source root> <scratch>
set -euo pipefail
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work/subprojects"
cp "$src/test/subproject/consumer/meson.build" "$src/test/subproject/consumer/main.cpp" "$work/"
# A copy of the source tree stands in for what a wrap would download.
mkdir -p "$work/subprojects/fugu"
(cd "$src" && tar --exclude='./build*' --exclude='./.git' --exclude='./fugu-data' -cf - .) | tar -C "$work/subprojects/fugu" -xf -
cd "$work"
# buildtype=plain: no optimisation or debug info, only what a consumer's build needs to
# prove (Fugu configures, compiles warning-free at level 3, links and runs as a subproject)
# at half the compile time.
meson setup build -Dwarning_level=3 -Dbuildtype=plain >/dev/null
ninja -C build
./build/consumer
