#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The `cli` test suite: drives the built `fugu` binary as a user would, through a shell,
# with real files in a temporary directory. Each test checks output and exit status;
# --json output is parsed back. Usage: cli_test.py path/to/fugu
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import traceback

FUGU = os.path.abspath(sys.argv[1])
OK, USAGE, NOT_FOUND, LOCKED, NO_STORE, CORRUPTION, IO_ERROR, DAMAGED_TAIL = range(8)


def sh(cmd, stdin=None, expect=OK):
    """Runs `cmd` through the shell with $F set to the binary; checks the exit status."""
    r = subprocess.run(cmd, shell=True, input=stdin, capture_output=True,
                       env=dict(os.environ, F=FUGU), timeout=60)
    if expect is not None and r.returncode != expect:
        raise AssertionError(f"`{cmd}` exited {r.returncode}, expected {expect}\n"
                             f"stdout: {r.stdout[:2000]!r}\nstderr: {r.stderr[:2000]!r}")
    return r


def out(cmd, stdin=None, expect=OK):
    return sh(cmd, stdin, expect).stdout.decode()


def js(cmd, expect=OK):
    return json.loads(sh(cmd, expect=expect).stdout)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def slab_files(d):
    return sorted(n for n in os.listdir(d) if re.fullmatch(r"slab-[0-9a-f]{16}\.fugu", n))


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x40]))


def multi_slab_store(d):
    """A store with several sealed log slabs: 64 KiB slabs, ~40 KiB per batch."""
    for b in range(6):
        lines = "".join(f"put k{b:02d}-{i:04d} {'v' * 400}\n" for i in range(100))
        sh(f"$F batch {d} - -q --slab-size 64k --no-background-compaction", stdin=lines.encode())


# ---- tests ----

def test_help(t):
    o = out("$F --help")
    for c in ["put", "get", "del", "batch", "scan", "stats", "check", "compact", "dump", "bench"]:
        check(re.search(rf"^  {c} ", o, re.M), f"--help lists {c}")
        h = out(f"$F {c} --help")
        check("Usage: fugu " + c in h and "Example" in h, f"{c} --help has usage and examples")
    check("Exit status" in o and "7  damaged tail" in o, "--help documents exit codes")
    sh("$F", expect=USAGE)
    check("unknown command" in sh("$F frobnicate", expect=USAGE).stderr.decode(), "unknown command")
    e = sh(f"$F get {t} k --bogus", expect=USAGE).stderr.decode()
    check("unknown option --bogus" in e and "fugu get --help" in e, e)
    sh(f"$F get {t}", expect=USAGE)  # missing KEY
    check(out("$F --version").startswith("fugu "), "--version")


def test_put_get_del(t):
    d = f"{t}/kv"
    sh(f"$F put {d} fruit apple")
    check(out(f"$F get {d} fruit") == "apple\n", "get prints the value and a newline")
    check(out(f"$F get {d} fruit -n") == "apple", "-n: no newline")
    sh(f"$F put {d} fruit pear")
    check(out(f"$F get {d} fruit") == "pear\n", "put replaces")
    e = sh(f"$F get {d} nope", expect=NOT_FOUND).stderr.decode()
    check("no such key" in e, e)
    sh(f"$F del {d} fruit")
    sh(f"$F get {d} fruit", expect=NOT_FOUND)
    sh(f"$F del {d} never-there")  # removing an absent key is fine
    # hex and base64, binary bytes with NUL
    sh(f"$F put {d} -e hex 00ff 68690a00")
    check(out(f"$F get {d} -e hex 00ff") == "68690a00\n", "hex round trip")
    check(out(f"$F get {d} --key-encoding hex --value-encoding base64 00ff") == "aGkKAA==\n", "base64 out")
    sh(f"$F put {d} -e base64 a2V5 dmFsdWU=")
    check(out(f"$F get {d} key") == "value\n", "base64 in")
    sh(f"$F put {d} -e hex 0g 00", expect=USAGE)
    # values from a file and from stdin; -o writes the exact bytes
    blob = bytes(range(256)) * 40
    with open(f"{t}/blob", "wb") as f:
        f.write(blob)
    sh(f"$F put {d} blob --value-file {t}/blob")
    sh(f"$F get {d} blob -o {t}/blob.out")
    check(open(f"{t}/blob.out", "rb").read() == blob, "file value round trip")
    sh(f"$F put {d} piped -f -", stdin=b"from\x00stdin")
    check(sh(f"$F get {d} piped -o -").stdout == b"from\x00stdin", "stdin value")
    # limits are usage errors, in words
    e = sh(f"$F put {d} $(python3 -c 'print(\"k\"*1025)') v", expect=USAGE).stderr.decode()
    check("key" in e and "1024" in e, e)


def test_batch(t):
    d = f"{t}/batch"
    o = out(f"$F batch {d} -", stdin=b"# comment\nput a 1\n\nput b two\\swords\nput c \\e\nput d \\x00\\n\ndel z\n")
    check("saved 4 puts and 1 removes" in o, o)
    sh(f"$F batch {d} - -q", stdin=b"del a\n")
    check(out(f"$F scan {d} --values") == "b\ttwo\\swords\nc\t\\e\nd\t\\x00\\n\n", "escapes round trip")
    check(out(f"$F get {d} b") == "two words\n", "\\s is a space")
    # a bad line or a duplicate key: nothing is applied
    e = sh(f"$F batch {d} -", stdin=b"put x 1\nfrob y\n", expect=USAGE).stderr.decode()
    check("line 2" in e, e)
    e = sh(f"$F batch {d} -", stdin=b"put x 1\nput x 2\n", expect=USAGE).stderr.decode()
    check("line 2" in e, e)
    sh(f"$F get {d} x", expect=NOT_FOUND)
    check("would save 1 puts" in out(f"$F batch {d} - --dry-run", stdin=b"put y 1\n"), "dry run")
    sh(f"$F get {d} y", expect=NOT_FOUND)
    sh(f"$F batch {d} {t}/no-such-file", expect=IO_ERROR)
    # hex batch from a file
    with open(f"{t}/hex.txt", "w") as f:
        f.write("put 6b31 7631\ndel 62\n")
    sh(f"$F batch {d} {t}/hex.txt -e hex -q")
    check(out(f"$F get {d} k1") == "v1\n", "hex batch put")
    sh(f"$F get {d} b", expect=NOT_FOUND)


def test_scan(t):
    d = f"{t}/scan"
    sh(f"$F batch {d} - -q", stdin="".join(f"put key{i:03d} val{i}\n" for i in range(50)).encode())
    keys = out(f"$F scan {d}").split()
    check(keys == [f"key{i:03d}" for i in range(50)], "all keys in order")
    check(out(f"$F scan {d} --from key010 --limit 3").split() == ["key010", "key011", "key012"], "from/limit")
    check(out(f"$F scan {d} --prefix key04 --count") == "10\n", "prefix count")
    check(out(f"$F scan {d} -p key049 -v") == "key049\tval49\n", "values")
    # --batch output feeds batch: a copy of the store
    sh(f"$F scan {d} --batch > {t}/copy.txt && $F batch {t}/scan-copy {t}/copy.txt -q")
    check(out(f"$F scan {t}/scan-copy --values") == out(f"$F scan {d} --values"), "copy matches")


def test_stats_json(t):
    d = f"{t}/stats"
    multi_slab_store(d)
    s = js(f"$F stats {d} --json")
    check(s["keys"] == 600, f"keys {s['keys']}")
    check(len(s["segments"]) >= 3, f"several segments: {len(s['segments'])}")
    check(sum(g["size_bytes"] for g in s["segments"]) == s["disk_bytes"], "segments add up")
    check(s["disk_bytes"] >= s["live_bytes"] > 600 * 400, "bytes")
    check(any(g["sealed"] for g in s["segments"]), "sealed slabs")
    h = out(f"$F stats {d}")
    check("keys                   600" in h and "segments (" in h, h)
    # reading never changes the directory
    before = {n: os.path.getsize(f"{d}/{n}") for n in os.listdir(d)}
    out(f"$F stats {d}")
    out(f"$F scan {d} --count")
    check(before == {n: os.path.getsize(f"{d}/{n}") for n in os.listdir(d)}, "read-side opens change nothing")


def test_compact(t):
    d = f"{t}/compact"
    multi_slab_store(d)
    # overwrite most keys so that the old slabs are mostly stale
    for b in range(6):
        lines = "".join(f"put k{b:02d}-{i:04d} x\n" for i in range(100))
        sh(f"$F batch {d} - -q --slab-size 64k --no-background-compaction", stdin=lines.encode())
    c = js(f"$F compact {d} --json --slab-size 64k --no-background-compaction")
    check(c["after"]["keys"] == c["before"]["keys"] == 600, "keys survive compaction")
    check(c["after"]["disk_bytes"] < c["before"]["disk_bytes"], f"space reclaimed: {c['before']['disk_bytes']} -> {c['after']['disk_bytes']}")
    check(out(f"$F get {d} k03-0042") == "x\n", "value after compaction")
    sh(f"$F check {d}")
    check("done in" in out(f"$F compact {d}"), "human output")


def test_missing_and_foreign(t):
    for cmd in ["get {d} k", "scan {d}", "stats {d}", "check {d}", "dump {d}", "compact {d}"]:
        e = sh("$F " + cmd.format(d=f"{t}/absent"), expect=NO_STORE).stderr.decode()
        check("does not exist" in e, e)
    open(f"{t}/plainfile", "w").close()
    check("not a directory" in sh(f"$F get {t}/plainfile k", expect=NO_STORE).stderr.decode(), "file")
    check("not a directory" in sh(f"$F put {t}/plainfile k v", expect=NO_STORE).stderr.decode(), "file put")
    os.mkdir(f"{t}/foreign")
    open(f"{t}/foreign/notes.txt", "w").close()
    for cmd in ["get {d} k", "put {d} k v", "check {d}"]:
        e = sh("$F " + cmd.format(d=f"{t}/foreign"), expect=NO_STORE).stderr.decode()
        check("not a Fugu directory" in e, e)
    check(os.listdir(f"{t}/foreign") == ["notes.txt"], "nothing created in a foreign directory")
    os.mkdir(f"{t}/bench-busy")
    open(f"{t}/bench-busy/x", "w").close()
    sh(f"$F bench {t}/bench-busy --saves 10", expect=USAGE)


def test_locked(t):
    d = f"{t}/locked"
    sh(f"$F put {d} k v")
    # Another process holds the store's lock (a POSIX lock conflicts with the store's
    # open file description lock).
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys\n"
        f"fd = os.open({d + '/LOCK'!r}, os.O_RDWR)\n"
        "fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        check(holder.stdout.readline().strip() == b"held", "helper holds the lock")
        for cmd in ["get {d} k", "put {d} k w", "scan {d}", "stats {d}", "check {d}", "compact {d}"]:
            e = sh("$F " + cmd.format(d=d), expect=LOCKED).stderr.decode()
            check("locked by another process" in e, e)
    finally:
        holder.stdin.close()
        holder.wait()
    check(out(f"$F get {d} k") == "v\n", "usable once released")


def last_commit_offset(d, slab):
    offs = re.findall(r"^  @(\d+)\s+commit", out(f"$F dump {d} --slab {slab}"), re.M)
    return int(offs[-1])


def test_check_and_dump(t):
    d = f"{t}/check"
    multi_slab_store(d)
    r = js(f"$F check {d} --json")
    check(r["clean"] and r["exit_code"] == 0 and r["errors"] == 0, r)
    check(r["index"]["checked"] and r["index"]["keys"] == 600 and r["index"]["values_verified"] == 600, r["index"])
    check("clean:" in out(f"$F check {d}"), "human clean")
    # dump: every slab, records at offsets, entries and values on request
    o = out(f"$F dump {d}")
    check(o.count("header: kind=log") == len(slab_files(d)) and "@64 " in o and "seal" in o, o[:500])
    o = out(f"$F dump {d} --slab 1 --values --max-value-bytes 4")
    check("put k00-0000  (400-byte value @" in o and "= vvvv..." in o, o[:800])
    sh(f"$F dump {d} --slab 999", expect=NOT_FOUND)

    # A flipped byte in a sealed slab: a record header (its sequence field).
    first = slab_files(d)[0]
    flip(f"{d}/{first}", 64 + 20)
    r = sh(f"$F check {d}", expect=CORRUPTION)
    o = r.stdout.decode()
    check(f"error: {d}/{first}:64: record fails its checks (record header checksum" in o
          or re.search(rf"error: {re.escape(d)}/{first}:64: record", o), o)
    check("NOT CLEAN" in o, o)
    j = js(f"$F check {d} --json", expect=CORRUPTION)
    check(not j["clean"] and any(p["file"].endswith(first) and p["offset"] == 64 and p["severity"] == "error"
                                 for p in j["problems"]), j["problems"])
    check("damaged" in sh(f"$F stats {d}", expect=CORRUPTION).stderr.decode(), "open refuses")
    flip(f"{d}/{first}", 64 + 20)  # restore
    sh(f"$F check {d}")

    # A flipped byte in a value in the middle of a sealed slab: the body checksum.
    rec = last_commit_offset(d, 2)
    flip(f"{d}/{slab_files(d)[1]}", rec + 60)
    j = js(f"$F check {d} --json", expect=CORRUPTION)
    check(any(p["offset"] == rec and "body" in p["message"] for p in j["problems"]), j["problems"])
    flip(f"{d}/{slab_files(d)[1]}", rec + 60)

    # A flipped byte in a slab header.
    flip(f"{d}/{first}", 30)
    j = js(f"$F check {d} --json", expect=CORRUPTION)
    check(any(p["offset"] == 0 and "slab header" in p["message"] for p in j["problems"]), j["problems"])
    flip(f"{d}/{first}", 30)
    sh(f"$F check {d}")


def test_check_newest_slab_tail(t):
    # After a clean close the newest slab ends with a sync mark that vouches for every
    # record before it: damage to an acknowledged record there is corruption (exit 5),
    # never a torn tail. Damage to the mark itself, or a cut through it, loses nothing the
    # mark vouched for: a damaged tail (exit 7) that the next open cuts off.
    d = f"{t}/tail"
    sh(f"$F batch {d} - -q", stdin=b"put a 1\nput b 2\n")
    sh(f"$F put {d} c 3")
    newest = slab_files(d)[-1]
    o = out(f"$F dump {d} --slab {int(newest[5:21], 16)}")
    at = last_commit_offset(d, int(newest[5:21], 16))
    marks = [int(m) for m in re.findall(r"^  @(\d+)\s+sync", o, re.M)]
    # one mark per clean close (two here); the last one ends the slab
    check(len(marks) == 2 and marks[-1] > at, o)
    mark = marks[-1]
    size = os.path.getsize(f"{d}/{newest}")
    check(size == mark + 40, f"the sync mark ends the slab: {size} {mark}")
    flip(f"{d}/{newest}", mark - 1)  # the value byte of the last commit record
    r = sh(f"$F check {d}", expect=CORRUPTION)
    o = r.stdout.decode()
    check(f"{d}/{newest}:{at}:" in o and "synced" in o, o)
    j = js(f"$F check {d} --json", expect=CORRUPTION)
    check(j["errors"] >= 1 and j["exit_code"] == CORRUPTION, j)
    check(os.path.getsize(f"{d}/{newest}") == size, "check changed nothing on disk")
    flip(f"{d}/{newest}", mark - 1)
    check(js(f"$F check {d} --json")["clean"], "clean again once the byte is restored")
    # A byte of the mark itself: the mark is a damaged tail, the commits before it stand.
    flip(f"{d}/{newest}", size - 1)
    j = js(f"$F check {d} --json", expect=DAMAGED_TAIL)
    check(j["warnings"] == 1 and j["errors"] == 0 and j["exit_code"] == DAMAGED_TAIL, j)
    check(any(p["offset"] == mark and "next open cuts" in p["message"] for p in j["problems"]), j["problems"])
    flip(f"{d}/{newest}", size - 1)
    # A cut through the mark (what a crash while writing it leaves) is the same warning.
    with open(f"{d}/{newest}", "r+b") as f:
        f.truncate(size - 3)
    j = js(f"$F check {d} --json", expect=DAMAGED_TAIL)
    check(any(p["offset"] == mark and "truncated" in p["message"] for p in j["problems"]), j["problems"])


def test_check_agrees_with_open(t):
    # A header-less log slab above every generation a readable slab covers is an
    # interrupted creation even when a merged slab has a higher id (compaction published
    # it meanwhile): check predicts what the open does (removes it), and the open does.
    d = f"{t}/creation"
    multi_slab_store(d)
    sh(f"$F compact {d}")
    ids = [int(n[5:21], 16) for n in slab_files(d)]
    kinds = {i: re.search(r"header: kind=(\w+)", out(f"$F dump {d} --slab {i}")).group(1) for i in ids}
    log = max(i for i in ids if kinds[i] == "log")
    check(any(kinds[i] == "merged" and i > log for i in ids), kinds)
    path = f"{d}/{slab_files(d)[ids.index(log)]}"
    with open(path, "r+b") as f:
        f.truncate(10)
    j = js(f"$F check {d} --json", expect=DAMAGED_TAIL)
    check(j["errors"] == 0 and any(p["file"] == path and "creation was interrupted" in p["message"]
                                   for p in j["problems"]), j["problems"])
    sh(f"$F put {d} after-open 1")  # a writable open removes it
    check(not os.path.exists(path), "the open removed the interrupted creation")
    check(js(f"$F check {d} --json")["clean"], "clean after the open")


def test_bench(t):
    d = f"{t}/bench"
    b = js(f"$F bench {d} --saves 3000 --reads 3000 --in-flight 16 --durability os_buffered --json")
    names = [p["name"] for p in b["phases"]]
    check(names == ["save", "read"], names)
    for p in b["phases"]:
        check(p["ops"] == 3000 and p["ops_per_second"] > 0 and 0 <= p["p50_us"] <= p["p99_us"] <= p["max_us"], p)
    check(b["stats"]["keys"] == 3000, b["stats"]["keys"])
    check(out(f"$F scan {d} --count") == "3000\n", "bench keys are in the store")
    o = out(f"$F bench {t}/bench2 --saves 500 --reads 500 --batch 4 --durability os_buffered")
    check("p99 us" in o and "save" in o and "read" in o and "reopen" in o, o)
    check(js(f"$F stats {t}/bench2 --json")["keys"] == 2000, "batch 4")
    sh(f"$F bench {d} --saves 10", expect=USAGE)  # not fresh


def run_one(root, name, fn):
    """Runs one test in its own directory; returns (ok, report)."""
    t = os.path.join(root, name)
    os.mkdir(t)
    t0 = time.monotonic()
    try:
        fn(t)
        return True, f"ok   {name} ({time.monotonic() - t0:.2f} s)"
    except Exception:
        return False, f"FAIL {name}\n{traceback.format_exc()}"


def main():
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    only = sys.argv[2:]
    if only:
        tests = [(n, f) for n, f in tests if n in only]
    start = time.monotonic()
    # The tests share nothing but the binary, and mostly wait on processes and fsync:
    # a few at a time keeps the suite short without loading the machine.
    with tempfile.TemporaryDirectory(prefix="fugu-cli-") as root:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda nf: run_one(root, *nf), tests))
    for _, report in results:
        print(report)
    failed = sum(1 for ok, _ in results if not ok)
    print(f"{len(results) - failed}/{len(results)} passed in {time.monotonic() - start:.2f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
