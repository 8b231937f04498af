#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fugu-server against redis-server, measured in the same run with the same client:
#
#   redis-benchmark -t set,get -d 100 -r 1000000 -c 50 -n N -P {1,16}
#
# against fugu-server (durability fsync and os_buffered) and redis-server (appendonly yes
# with appendfsync always and everysec). Configurations alternate within each round, every
# run starts from an empty data directory on the disk under the build directory (not /tmp,
# which may be tmpfs), and the table reports the median of the rounds with the ratio of
# each Fugu figure to Redis's at the same durability. The table replaces the section
# between the server-bench markers of docs/perf.md.
#
#   perf/server_vs_redis.sh [build-dir]      (default: build)
#   env: N=requests per run (default 100000), ROUNDS (default 3), THREADS (fugu-server
#        --threads, default: the number of CPUs), PERF_MD (default docs/perf.md),
#        NO_WRITE=1 to print the table without touching docs/perf.md
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
server="$build/tools/fugu-server/fugu-server"
n=${N:-100000}
rounds=${ROUNDS:-3}
threads=${THREADS:-$(nproc)}
perf_md=${PERF_MD:-docs/perf.md}
work="$build/perf/server-bench"

for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed (Debian: redis-server redis-tools)" >&2; exit 1; }
done
[ -x "$server" ] || { echo "error: $server is not built (ninja -C $build)" >&2; exit 1; }

mkdir -p "$work"
work=$(realpath "$work")  # redis-server opens its log after moving into --dir
results="$work/results.csv"
: >"$results"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; true; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_fugu() {  # durability
    local dir="$work/fugu-$1"
    rm -rf "$dir"
    "$server" --dir "$dir" --port 0 --threads "$threads" --durability "$1" >"$work/fugu.out" 2>"$work/fugu.err" &
    pid=$!
    for _ in $(seq 200); do
        port=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$work/fugu.out")
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    echo "error: fugu-server did not start: $(cat "$work/fugu.err")" >&2
    exit 1
}

start_redis() {  # appendfsync
    local dir="$work/redis-$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly yes \
        --appendfsync "$1" --daemonize no --logfile "$dir/log" &
    pid=$!
    for _ in $(seq 200); do
        redis-cli -p "$port" PING >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "error: redis-server did not start" >&2
    exit 1
}

stop_server() {
    kill -TERM "$pid"
    wait "$pid" || true
    pid=""
}

bench() {  # config pipeline
    # CSV lines: "SET","<rps>",...; the first field is the test, the second requests/s.
    redis-benchmark -p "$port" -t set,get -d 100 -r 1000000 -c 50 -n "$n" -P "$2" --csv 2>/dev/null |
        awk -F, -v cfg="$1" -v p="$2" 'NR > 1 { gsub(/"/, ""); print cfg "," $1 "," p "," $2 }' >>"$results"
}

configs=(fugu:fsync redis:always fugu:os_buffered redis:everysec)
for round in $(seq "$rounds"); do
    for c in "${configs[@]}"; do
        kind=${c%%:*} mode=${c#*:}
        echo "==> round $round/$rounds: $kind $mode"
        "start_$kind" "$mode"
        bench "$c" 1
        bench "$c" 16
        stop_server
    done
done

table=$(python3 - "$results" "$n" "$rounds" "$threads" <<'PY'
import csv, statistics, sys
path, n, rounds, threads = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
runs = {}
for cfg, test, p, rps in csv.reader(open(path)):
    runs.setdefault((cfg, test, int(p)), []).append(float(rps))
med = {k: statistics.median(v) for k, v in runs.items()}
def fmt(v): return "{:,.0f}".format(v)
out = []
out.append("| test | pipeline | fugu fsync | redis always | ratio | fugu os_buffered | redis everysec | ratio |")
out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for test in ("SET", "GET"):
    for p in (1, 16):
        row = [test, str(p)]
        for f, r in (("fugu:fsync", "redis:always"), ("fugu:os_buffered", "redis:everysec")):
            a, b = med.get((f, test, p)), med.get((r, test, p))
            row += [fmt(a) if a else "-", fmt(b) if b else "-",
                    "**{:.2f}**".format(a / b) if a and b else "-"]
        out.append("| " + " | ".join(row) + " |")
print("\n".join(out))
print()
print("Requests per second, median of {} rounds of `redis-benchmark -t set,get -d 100 "
      "-r 1000000 -c 50 -n {} -P <pipeline>`; fugu-server with `--threads {}`; ratio = Fugu / "
      "Redis at the same durability (fsync per acknowledged write: `durability::fsync` against "
      "`appendfsync always`; no fsync per write: `os_buffered` against `everysec`).".format(
          rounds, n, threads))
PY
)
echo
echo "$table"

[ "${NO_WRITE:-0}" = 1 ] && exit 0
python3 - "$perf_md" "$table" <<'PY'
import os, sys
path, table = sys.argv[1], sys.argv[2]
begin, end = "<!-- server-bench:begin -->", "<!-- server-bench:end -->"
section = begin + "\n" + table + "\n" + end
text = open(path).read() if os.path.exists(path) else "# Fugu performance\n"
if begin in text and end in text:
    text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n## fugu-server against redis-server\n\n" + section + "\n"
open(path, "w").write(text)
print("wrote", path)
PY
