#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# perf-quick: fugu-bench --quick on every engine built, then perf/report.py on its output
# into a scratch report (gnuplot charts when gnuplot is installed).
# Usage: quick.sh FUGU_BENCH REPORT_PY OUT_DIR
set -euo pipefail
bench=$1 report=$2 out=$3
rm -rf "$out"
mkdir -p "$out/data"
"$bench" --quick --dir "$out/data" --out "$out/quick.json"
if command -v python3 >/dev/null; then
    python3 "$report" "$out/quick.json" --doc "$out/perf.md" --charts "$out/charts"
    grep -q 'fugu-bench:begin' "$out/perf.md"
fi
