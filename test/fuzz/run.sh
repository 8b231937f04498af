#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets (clang, ASan+UBSan, coverage on the whole library) in
# build-fuzz and runs them from their seed corpora and regression inputs:
#   decoder   FUGU_FUZZ_DECODER_RUNS executions (default 1,000,000)
#   recovery  FUGU_FUZZ_SECONDS seconds (default 30)
#   api       FUGU_FUZZ_SECONDS seconds
# and prints one line per target: fuzz: target=NAME execs=N findings=N
# New inputs go to a scratch corpus, not into the tree. A finding leaves its input in
# build-fuzz/fuzz-findings/; once fixed, copy it to test/fuzz/regressions/<target>/ so the
# [fuzz] replay test keeps it fixed. Exits nonzero when any target found something.
# Soak: FUGU_FUZZ_DECODER_RUNS=100000000 FUGU_FUZZ_SECONDS=3600 test/fuzz/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

decoder_runs=${FUGU_FUZZ_DECODER_RUNS:-1000000}
seconds=${FUGU_FUZZ_SECONDS:-30}
build=${FUGU_FUZZ_BUILD_DIR:-build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
    CC=clang-14 CXX=clang++-14 meson setup "$build" -Dfuzz=true -Db_lundef=false \
        -Dperf=false -Dtools=false -Dbuildtype=debugoptimized -Dcpp_args=-gline-tables-only
fi
ninja -C "$build" test/fuzz/fuzz_decoder test/fuzz/fuzz_recovery test/fuzz/fuzz_api

findings_dir="$build/fuzz-findings"
mkdir -p "$findings_dir"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

status=0
run_target() {
    local target=$1
    shift
    local corpus="$scratch/$target"
    mkdir -p "$corpus"
    local before
    before=$(find "$findings_dir" -name "$target-*" | wc -l)
    local inputs=("$corpus")
    for d in "test/fuzz/corpus/$target" "test/fuzz/regressions/$target"; do
        if [ -d "$d" ]; then inputs+=("$d"); fi
    done
    local log="$scratch/$target.log"
    set +e
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$build/test/fuzz/fuzz_$target" "$@" -print_final_stats=1 -timeout=20 \
        -rss_limit_mb=2048 -artifact_prefix="$findings_dir/$target-" \
        "${inputs[@]}" >"$log" 2>&1
    local rc=$?
    set -e
    local execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    local after
    after=$(find "$findings_dir" -name "$target-*" | wc -l)
    local findings=$((after - before))
    if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then findings=1; fi
    echo "fuzz: target=$target execs=${execs:-0} findings=$findings"
    if [ "$findings" -ne 0 ]; then
        tail -n 40 "$log" >&2
        status=1
    fi
}

run_target decoder -runs="$decoder_runs" -max_len=4096
run_target recovery -max_total_time="$seconds" -max_len=16384
run_target api -max_total_time="$seconds" -max_len=4096
exit $status
