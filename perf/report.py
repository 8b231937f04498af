#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turns fugu-bench's JSON into the benchmark section of docs/perf.md and its charts.

Usage: perf/report.py RESULTS.json [--doc docs/perf.md] [--charts docs/perf]

The section goes between the fugu-bench:begin/end markers; the rest of the file (other
sections) is kept. Charts are PNGs drawn by gnuplot (skipped, with a note, without it).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile

BEGIN = "<!-- fugu-bench:begin -->"
END = "<!-- fugu-bench:end -->"
ENGINES = ["fugu", "rocksdb", "leveldb", "lmdb"]
GROUPS = [
    ("fill", "Writes without fsync (keys/s, higher is better)"),
    ("durable", "Durable writes (saves/s, higher is better)"),
    ("largevalue", "64 KiB values (MB/s, higher is better)"),
    ("read", "Point reads after reopen (reads/s, higher is better)"),
    ("ycsb", "YCSB, zipfian (ops/s, higher is better)"),
    ("latency", "Read p99 while writing (us, lower is better)"),
]


def fmt(v, unit=""):
    if v is None:
        return "-"
    if abs(v) >= 100:
        s = f"{v:,.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}"
    return s + (f" {unit}" if unit else "")


def opt(v):
    return json.dumps(v) if isinstance(v, bool) else str(v)


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def runs_of(w, engine):
    return [r for r in w.get("runs", {}).get(engine, []) if "error" not in r]


def run_median(w, engine, getter):
    vals = []
    for r in runs_of(w, engine):
        try:
            vals.append(getter(r))
        except (KeyError, TypeError):
            pass
    return med(vals)


def targets(doc, by_name):
    """(target, measured, met) rows; the targets are the project's."""
    fio = doc.get("fio", {})
    out = []

    def ratio(name, key="ratio"):
        w = by_name.get(name)
        return None if w is None else w.get(key)

    def add(label, value, goal, higher=True, show=None):
        met = None if value is None else (value >= goal if higher else value <= goal)
        out.append((label, show if show is not None else fmt(value), met))

    add("fillrandom-1: Fugu / best peer >= 1.5", ratio("fillrandom-1"), 1.5)
    add("fillrandom-64: Fugu / best peer >= 3", ratio("fillrandom-64"), 3)
    add("fillbatch: Fugu / best peer >= 3", ratio("fillbatch"), 3)
    add("fillsync-16: Fugu / best peer >= 2", ratio("fillsync-16"), 2)
    fs16 = by_name.get("fillsync-16", {}).get("median", {}).get("fugu")
    if fs16 is not None and fio.get("fdatasync_per_s"):
        frac = fs16 / (16 * fio["fdatasync_per_s"])
        add("fillsync-16: Fugu >= 85% of 16 x fio fdatasync/s", frac, 0.85, show=f"{frac:.0%}")
    for n in ("readrandom-1", "readrandom-2"):
        add(f"{n}: Fugu / LMDB >= 1.0", ratio(n, "ratio_vs_lmdb"), 1.0)
    ow = by_name.get("overwrite")
    if ow:
        add("overwrite: Fugu / faster of RocksDB, LevelDB >= 2", ratio_vs(ow, ["rocksdb", "leveldb"]), 2)
        add("overwrite: Fugu write amplification <= 2.5",
            run_median(ow, "fugu", lambda r: r["write_amplification"]), 2.5, higher=False)
        add("overwrite: Fugu space amplification <= 1.5",
            run_median(ow, "fugu", lambda r: r["space_amplification"]), 1.5, higher=False)
    lv = by_name.get("largevalue-sync", {}).get("median", {}).get("fugu")
    if lv is not None and fio.get("seq_write_mb_s"):
        frac = lv / fio["seq_write_mb_s"]
        add("largevalue-sync: Fugu >= 80% of fio sequential write", frac, 0.8, show=f"{frac:.0%}")
    rr = by_name.get("readrandom-1")
    if rr:
        idx = run_median(rr, "fugu",
                         lambda r: r["store"]["engine_stats_after_reopen"]["index_bytes_per_key_beyond_key"])
        add("index: Fugu <= 32 bytes per key beyond the key", idx, 32, higher=False,
            show=None if idx is None else f"{idx:.1f} B/key")
    return out


def ratio_vs(w, peers):
    m = w.get("median", {})
    vals = [m[p] for p in peers if p in m]
    if "fugu" not in m or not vals:
        return None
    return m["fugu"] / max(vals)


def chart(doc, group, title, engines, charts_dir, tmp):
    rows = [w for w in doc["workloads"] if w["group"] == group]
    if not rows:
        return None
    data = os.path.join(tmp, group + ".dat")
    with open(data, "w") as f:
        f.write("# workload " + " ".join(engines) + "\n")
        for w in rows:
            f.write(w["workload"] + " " + " ".join(
                str(w["median"].get(e, 0) or 0) for e in engines) + "\n")
    png = os.path.join(charts_dir, group + ".png")
    values = [v for w in rows for v in w["median"].values() if v]
    logy = values and max(values) / max(min(values), 1e-9) > 30
    colors = {"fugu": "#d9480f", "rocksdb": "#1c7ed6", "leveldb": "#37b24d", "lmdb": "#7048e8"}
    plots = ", ".join(
        f"'{data}' using {i + 2}:xtic(1) title '{e}' lc rgb '{colors.get(e, '#888888')}'"
        + ("" if i else "")
        for i, e in enumerate(engines))
    script = f"""
set terminal pngcairo size 900,420 font 'sans,10'
set output '{png}'
set title "{title}"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set xrange [-0.6:{len(rows) - 0.4}]
set grid ytics
set key top right
set yrange [{'1' if logy else '0'}:*]
{'set logscale y' if logy else ''}
plot {plots}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return png


def section(doc, doc_path, charts_dir):
    by_name = {w["workload"]: w for w in doc["workloads"]}
    engines = [e for e in ENGINES if e in doc.get("engines", {})]
    m = doc["machine"]
    fio = doc.get("fio", {})
    sz = doc["sizes"]
    L = [BEGIN, "", "## Fugu next to RocksDB, LevelDB and LMDB (fugu-bench)", ""]
    L.append("Generated by `perf/report.py` from the JSON of one `fugu-bench` run; do not edit "
             "by hand. Medians of %d repetition(s) per workload, engines alternating within each "
             "repetition, each run in a child process of its own on a fresh store (overwrite and "
             "the read group on a fresh copy of one store per engine filled once per run). The ratio is "
             "Fugu / best peer in the same run (for latency: best peer / Fugu, so above 1 is "
             "always Fugu ahead). The machine is shared and noisy: ratios from one run are what "
             "count, absolute figures vary from run to run." % doc["repetitions"])
    minutes = doc["total_seconds"] / 60
    took = (f"the run below took {minutes:.1f} minutes on this shared 2-core machine"
            if not doc.get("quick") else "a full run's time is printed at its end and in its JSON")
    L += ["", f"How to run it ({took}; stores go under the build directory, on the "
          "disk under test, never on tmpfs):", "",
          "```sh",
          "meson setup build --buildtype=release && ninja -C build",
          "mkdir -p build/perf/bench-data",
          "build/perf/bench/fugu-bench --dir build/perf/bench-data --out build/perf/bench.json",
          "python3 perf/report.py build/perf/bench.json   # rewrites this section and docs/perf/*.png",
          "```", "",
          "`--quick` runs every workload on every engine at tiny sizes (the `perf-quick` test "
          "suite, for correctness only); `--only WORKLOAD`, `--engine NAME` and `--reps N` narrow "
          "a run."]
    L += ["", "### Machine and command", ""]
    d = m.get("disk", {})
    L.append(f"- CPU: {m['cpu']}, {m['cpus']} CPUs; memory {m['mem_total']}; kernel {m['kernel']}")
    rot = d.get("rotational")
    L.append(f"- Disk under test: {d.get('device', '?')} ({d.get('filesystem', '?')}, "
             f"{'rotational' if rot else 'non-rotational' if rot is not None else 'unknown kind'}"
             f"{', %.0f GB' % d['size_gb'] if 'size_gb' in d else ''}), mounted on {d.get('mount', '?')}")
    if "seq_write_mb_s" in fio:
        L.append(f"- fio on the same directory, same run: sequential write **{fio['seq_write_mb_s']:.0f} MB/s** "
                 f"({fio.get('seq_write_job', '')}); 4 KiB write + fdatasync **{fio.get('fdatasync_per_s', 0):.0f}/s** "
                 f"({fio.get('fdatasync_job', '')})")
    elif fio:
        L.append(f"- fio: {fio}")
    L.append(f"- Command: `{doc['command']}` (then `python3 perf/report.py RESULTS.json`); "
             f"the run took {minutes:.1f} minutes"
             + (f", of which {doc['copy_seconds']:.0f} s copying the filled stores and "
                f"{sum(f.get('wall_seconds', 0) for f in doc['filled_stores'].values()):.0f} s filling them"
                if "filled_stores" in doc else ""))
    L.append(f"- Data: {sz['key_bytes']}-byte keys, {sz['value_bytes']}-byte values (64 KiB in largevalue); "
             f"{sz['keys']:,} keys; counted runs stop at their count or at a time cap "
             f"({sz.get('write_cap_seconds', '-')} s for fills and largevalue, {sz.get('overwrite_cap_seconds', '-')} s "
             f"for overwrite, {sz.get('read_cap_seconds', '-')} s for reads and YCSB), fillsync runs "
             f"{sz['sync_seconds']} s, readwhilewriting {sz['rww_seconds']} s with a writer at "
             f"{sz['rww_write_rate']:.0f} saves/s")
    if doc.get("quick"):
        L.append("- **--quick run: tiny sizes, the figures mean nothing.**")

    L += ["", "### Results (medians)", ""]
    L.append("| workload | unit | " + " | ".join(engines) + " | best peer | Fugu / best peer |")
    L.append("|---|---|" + "---:|" * len(engines) + "---|---:|")
    for w in doc["workloads"]:
        cells = []
        best = w.get("best_peer")
        for e in engines:
            v = w["median"].get(e)
            c = fmt(v)
            if e == best or (e == "fugu" and w.get("ratio", 0) >= 1):
                c = f"**{c}**"
            cells.append(c)
        r = w.get("ratio")
        L.append(f"| {w['workload']} | {w['unit']} | " + " | ".join(cells) +
                 f" | {best or '-'} | {fmt(r) if r is not None else '-'} |")
    L += ["", "What each workload does:", ""]
    for w in doc["workloads"]:
        L.append(f"- **{w['workload']}**: {w['what']}")

    L += ["", "### Targets", "", "| target | measured | met |", "|---|---:|:---:|"]
    for label, shown, met in targets(doc, by_name):
        L.append(f"| {label} | {shown} | {'-' if met is None else 'yes' if met else '**no**'} |")

    L += ["", "### Durable figures against the disk", ""]
    L.append("| workload | " + " | ".join(engines) + " | physical limit |")
    L.append("|---|" + "---:|" * len(engines) + "---|")
    fd, seq = fio.get("fdatasync_per_s"), fio.get("seq_write_mb_s")
    for name, limit, label in (("fillsync-1", fd, "fio fdatasync/s"),
                               ("fillsync-16", fd * 16 if fd else None, "16 x fio fdatasync/s"),
                               ("largevalue-sync", seq, "fio sequential MB/s")):
        w = by_name.get(name)
        if not w or not limit:
            continue
        cells = [f"{w['median'][e] / limit:.0%}" if e in w["median"] else "-" for e in engines]
        L.append(f"| {name} | " + " | ".join(cells) + f" | {fmt(limit)} ({label}) |")

    ow = by_name.get("overwrite")
    if ow:
        L += ["", "### Overwrite: amplification at the end", ""]
        L.append("Write amplification: bytes the process sent to storage (/proc/self/io write_bytes) "
                 "during the overwrites / key+value bytes overwritten. Space amplification: "
                 "allocated bytes of the store directory / key+value bytes of the live keys.")
        L.append("")
        L.append("| engine | keys/s | write amp. | space amp. | overwrites done |")
        L.append("|---|---:|---:|---:|---:|")
        for e in engines:
            L.append(f"| {e} | {fmt(ow['median'].get(e))} | "
                     f"{fmt(run_median(ow, e, lambda r: r['write_amplification']))} | "
                     f"{fmt(run_median(ow, e, lambda r: r['space_amplification']))} | "
                     f"{fmt(run_median(ow, e, lambda r: r['keys_written']))} |")
        fs_ = run_median(ow, "fugu", lambda r: r["engine_stats"]["write_amplification"])
        if fs_ is not None:
            sa = run_median(ow, "fugu", lambda r: r["engine_stats"]["space_amplification"])
            L.append("")
            L.append(f"Fugu's own figures (store.stats(), fill included): write amplification "
                     f"{fmt(fs_)}, space amplification {fmt(sa)}.")

    L += ["", "### Latency and memory (medians of the runs)", ""]
    L.append("Read latency p50 / p99 / p99.9 in microseconds for the read workloads, write "
             "(save) latency for the others (a read-modify-write counts as a write); peak RSS of the "
             "process during the workload (VmHWM, reset before it; for LMDB it includes the "
             "pages of its memory-mapped file that the process touched).")
    L.append("")
    L.append("| workload | " + " | ".join(f"{e} latency" for e in engines) + " | "
             + " | ".join(f"{e} RSS MiB" for e in engines) + " |")
    L.append("|---|" + "---:|" * (2 * len(engines)))
    for w in doc["workloads"]:
        kind = "read_latency_us" if w["group"] in ("read", "ycsb", "latency") else "write_latency_us"
        lat = []
        for e in engines:
            q = [run_median(w, e, lambda r, p=p: r[kind][p]) for p in ("p50", "p99", "p999")]
            lat.append("-" if q[0] is None else " / ".join(fmt(x) for x in q))
        rss = [fmt(None if (v := run_median(w, e, lambda r: r["peak_rss_bytes"])) is None else v / 2**20)
               for e in engines]
        L.append(f"| {w['workload']} | " + " | ".join(lat) + " | " + " | ".join(rss) + " |")

    rr = by_name.get("readrandom-1")
    if rr:
        st = [r["store"] for r in runs_of(rr, "fugu")]
        if st:
            idx = med([s["engine_stats_after_reopen"]["index_bytes_per_key_beyond_key"] for s in st])
            L += ["", f"Fugu index: {idx:.1f} bytes per key beyond the 16 key bytes "
                  f"(store.stats().index_bytes / keys - 16, after reopening {sz['keys']:,} keys)."]

    if charts_dir:
        L += ["", "### Charts", ""]
        if shutil.which("gnuplot"):
            os.makedirs(charts_dir, exist_ok=True)
            with tempfile.TemporaryDirectory() as tmp:
                for group, title in GROUPS:
                    png = chart(doc, group, title, engines, charts_dir, tmp)
                    if png:
                        rel = os.path.relpath(png, os.path.dirname(os.path.abspath(doc_path)))
                        L.append(f"![{title}]({rel})")
                        L.append("")
        else:
            L.append("(gnuplot not installed: no charts)")

    L += ["", "### Engine options", ""]
    for e in engines:
        o = doc["engines"][e]
        L.append(f"- **{e}**: " + ", ".join(f"{k}={opt(v)}" for k, v in o["buffered"].items()))
        diff = {k: v for k, v in o["durable"].items() if o["buffered"].get(k) != v}
        if diff:
            L.append("  - durable runs: " + ", ".join(f"{k}={opt(v)}" for k, v in diff.items()))
    L += ["", END]
    return "\n".join(L) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results")
    ap.add_argument("--doc", default=os.path.join(here, "..", "docs", "perf.md"))
    ap.add_argument("--charts", default=os.path.join(here, "..", "docs", "perf"))
    args = ap.parse_args()
    with open(args.results) as f:
        doc = json.load(f)
    text = section(doc, args.doc, args.charts)
    old = ""
    if os.path.exists(args.doc):
        with open(args.doc) as f:
            old = f.read()
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + text.rstrip("\n") + old[old.index(END) + len(END):]
    elif old:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        new = "# Fugu performance\n\n" + text
    with open(args.doc, "w") as f:
        f.write(new)
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
