#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fugu-server driven by real Redis clients (redis-cli, redis-benchmark) and raw sockets.

Starts the server on a free loopback port with a store under the current directory, and
checks every command, pipelining, MULTI/EXEC atomicity, malformed input, the connection
limit, graceful shutdown on SIGTERM, and that acknowledged writes survive a restart (after
SIGTERM and after SIGKILL). Exits 77 (skip) when redis-cli or redis-benchmark is missing.

    server_test.py path/to/fugu-server
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SERVER = sys.argv[1]
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


class Server:
    def __init__(self, directory, *extra):
        self.proc = subprocess.Popen(
            [SERVER, "--dir", directory, "--port", "0", "--threads", "2", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError("server did not start: %r %s" % (line, self.proc.stderr.read()))
        self.port = int(line.split()[3].rsplit(":", 1)[1])

    def stop(self, sig=signal.SIGTERM, timeout=20):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        if rc != 0:
            # What the server said on the way out is the only clue to a failed stop.
            print("server exited with %d; its stderr:\n%s" % (rc, self.proc.stderr.read()),
                  flush=True)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc


def cli(port, *args, stdin=None):
    r = subprocess.run(["redis-cli", "-p", str(port), *args], input=stdin,
                       capture_output=True, text=True, timeout=30)
    return r.stdout.rstrip("\n")


def raw(port, data, expect_close=False, timeout=10):
    """Sends bytes on a fresh connection and returns everything read until the server
    closes the connection (expect_close) or one second of silence."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    if not expect_close:
        s.shutdown(socket.SHUT_WR)
    out = b""
    s.settimeout(timeout)
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        out += chunk
    s.close()
    return out


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def test_commands(port):
    check(cli(port, "PING") == "PONG", "PING")
    check(cli(port, "ECHO", "hello world") == "hello world", "ECHO")
    check(cli(port, "SET", "k1", "v1") == "OK", "SET")
    check(cli(port, "GET", "k1") == "v1", "GET")
    check(cli(port, "GET", "missing") == "", "GET of a missing key is nil")
    check(cli(port, "EXISTS", "k1", "missing", "k1") == "2", "EXISTS counts")
    check(cli(port, "MSET", "m1", "a", "m2", "b") == "OK", "MSET")
    check(cli(port, "MGET", "m1", "missing", "m2") == "a\n\nb", "MGET")
    check(cli(port, "DEL", "m1", "missing") == "1", "DEL counts removed keys")
    check(cli(port, "GETDEL", "m2") == "b", "GETDEL returns the value")
    check(cli(port, "EXISTS", "m2") == "0", "GETDEL removes")
    check(cli(port, "INCR", "n") == "1", "INCR of a missing key")
    check(cli(port, "INCR", "n") == "2", "INCR")
    check(cli(port, "DECR", "n") == "1", "DECR")
    check("not an integer" in cli(port, "INCR", "k1"), "INCR of a non-number")
    check(cli(port, "DBSIZE") == "2", "DBSIZE")
    for i in range(30):
        cli(port, "SET", "scan:%02d" % i, "x")
    check(cli(port, "KEYS", "scan:1*") == "\n".join("scan:%02d" % i for i in range(10, 20)),
          "KEYS with a pattern, in order")
    scanned = cli(port, "--scan", "--pattern", "scan:*").split("\n")
    check(scanned == ["scan:%02d" % i for i in range(30)], "SCAN through redis-cli --scan")
    cursor, seen, calls = "0", [], 0
    while True:
        out = cli(port, "SCAN", cursor, "MATCH", "scan:1*", "COUNT", "4").split("\n")
        cursor, calls = out[0], calls + 1
        seen += [k for k in out[1:] if k]
        if cursor == "0" or calls > 50:
            break
    check(seen == ["scan:%02d" % i for i in range(10, 20)] and calls >= 3, "SCAN with COUNT: %r" % seen)
    info = cli(port, "INFO")
    check("# Fugu" in info and "durability:fsync" in info and "keys:32" in info, "INFO")
    check(cli(port, "INFO", "keyspace").strip().endswith("db0:keys=32,expires=0,avg_ttl=0"),
          "INFO keyspace")
    check("unknown command" in cli(port, "NOSUCHCOMMAND", "x"), "unknown command")
    check("wrong number of arguments" in cli(port, "GET"), "wrong arity")
    # MULTI/EXEC and QUIT through one redis-cli connection reading commands from stdin.
    out = cli(port, stdin="MULTI\nSET t1 1\nINCR t1\nGET t1\nEXEC\n")
    check(out.split("\n") == ["OK", "QUEUED", "QUEUED", "QUEUED", "OK", "2", "2"],
          "MULTI/EXEC: %r" % out)
    out = cli(port, stdin="MULTI\nSET t2 1\nDISCARD\nEXISTS t2\n")
    check(out.split("\n") == ["OK", "QUEUED", "OK", "0"], "DISCARD: %r" % out)
    check(raw(port, b"PING\r\nQUIT\r\n", expect_close=True) == b"+PONG\r\n+OK\r\n",
          "QUIT closes the connection")
    # Binary-safe keys and values.
    value = bytes(range(256)) * 4
    r = raw(port, resp("SET", b"bin\x00key", value) + resp("GET", b"bin\x00key"))
    check(r == b"+OK\r\n$1024\r\n" + value + b"\r\n", "binary-safe SET/GET")
    # Requests split across writes at every byte still parse.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    for b in resp("SET", "split", "yes") + resp("GET", "split"):
        s.sendall(bytes([b]))
    got = b""
    while len(got) < len(b"+OK\r\n$3\r\nyes\r\n"):
        got += s.recv(100)
    s.close()
    check(got == b"+OK\r\n$3\r\nyes\r\n", "byte-by-byte request")


def test_pipelining(port):
    # Mass insert through redis-cli --pipe: one connection, thousands of requests in flight.
    n = 5000
    data = b"".join(resp("SET", "pipe:%d" % i, "value-%d" % i) for i in range(n))
    r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=data,
                       capture_output=True, timeout=60)
    out = r.stdout.decode()
    check("errors: 0, replies: %d" % n in out, "redis-cli --pipe: %s" % out.strip())
    check(cli(port, "GET", "pipe:4321") == "value-4321", "pipelined SET landed")
    # Replies come back in request order, mixing reads and writes in one pipeline.
    reqs = b""
    expect = b""
    for i in range(200):
        reqs += resp("SET", "order:%d" % i, str(i)) + resp("INCR", "order:%d" % i) + resp("GET", "order:%d" % i)
        v = str(i + 1).encode()
        expect += b"+OK\r\n:%s\r\n$%d\r\n%s\r\n" % (v, len(v), v)
    check(raw(port, reqs) == expect, "pipelined replies in order")
    # redis-benchmark with pipelines: no errors, and INCR on one key is atomic.
    # (-n a multiple of -P: redis-benchmark sends whole pipelines.)
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set,get,incr", "-n", "3200",
                        "-c", "10", "-P", "16", "-q"], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and r.stdout.count("requests per second") == 3,
          "redis-benchmark: %s %s" % (r.stdout, r.stderr))
    check(cli(port, "GET", "counter:__rand_int__") == "3200",
          "3200 concurrent pipelined INCRs of one key: got %s" % cli(port, "GET", "counter:__rand_int__"))


def test_multi_atomicity(port):
    # One client moves units between two keys in transactions; another reads both keys at
    # once and must always see the same total.
    cli(port, "MSET", "acct:a", "1000", "acct:b", "0")
    stop = threading.Event()
    bad = []

    def reader():
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        f = s.makefile("rb")
        while not stop.is_set():
            s.sendall(resp("MGET", "acct:a", "acct:b"))
            assert f.readline() == b"*2\r\n"
            vals = []
            for _ in range(2):
                n = int(f.readline()[1:])
                vals.append(int(f.read(n + 2)[:n]))
            if sum(vals) != 1000:
                bad.append(vals)
        s.close()

    t = threading.Thread(target=reader)
    t.start()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    for _ in range(150):
        s.sendall(resp("MULTI") + resp("DECR", "acct:a") + resp("INCR", "acct:b") + resp("EXEC"))
        lines = [f.readline() for _ in range(6)]
        assert lines[0] == b"+OK\r\n" and lines[3] == b"*2\r\n", lines
    s.close()
    stop.set()
    t.join()
    check(not bad, "MULTI/EXEC seen half-applied: %r" % bad[:3])
    check(cli(port, "MGET", "acct:a", "acct:b") == "850\n150", "MULTI/EXEC results")


def test_malformed(port):
    cases = [
        b"*1\r\n$x\r\n",
        b"*2\r\n$3\r\nGET\r\n:1\r\n",
        b"*-5\r\n",
        b"*1\r\n$3\r\nabcXY",
        b"*1\r\n$99999999999\r\n",           # past --max-request
        b"*3000000\r\n",                     # too many arguments
        b"\x00\xff\r\n*\r\n$$$\r\n",
    ]
    for c in cases:
        out = raw(port, c, expect_close=True)
        check(out.startswith(b"-ERR Protocol error") or out.startswith(b"-ERR unknown command"),
              "malformed %r answered: %r" % (c, out))
    # A long inline line without an end is cut off, not buffered forever.
    out = raw(port, b"A" * (200 * 1024), expect_close=True)
    check(out.startswith(b"-ERR Protocol error"), "endless inline line: %r" % out[:80])
    # A request larger than --max-request is refused before it is read whole.
    big = resp("SET", "big", b"x" * (2 << 20))
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(big)
    except OSError:
        pass
    check(s.recv(100).startswith(b"-ERR Protocol error"), "request over --max-request")
    s.close()
    check(cli(port, "PING") == "PONG", "server alive after malformed input")


def test_max_clients(port, limit):
    socks = []
    for _ in range(limit):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(resp("PING"))
        check(s.recv(100) == b"+PONG\r\n", "connection within the limit")
        socks.append(s)
    extra = raw(port, resp("PING"), expect_close=True)
    check(extra.startswith(b"-ERR max number of clients reached"), "connection over the limit: %r" % extra)
    for s in socks:
        s.close()
    # The slots come back once those connections are gone.
    for _ in range(100):
        if cli(port, "PING") == "PONG":
            break
        time.sleep(0.05)
    check(cli(port, "PING") == "PONG", "slots reused")


def test_restart(directory):
    srv = Server(directory)
    n = 300
    data = b"".join(resp("SET", "durable:%d" % i, "v%d" % i) for i in range(n))
    out = raw(srv.port, data)
    check(out == b"+OK\r\n" * n, "acknowledged writes before SIGKILL")
    srv.proc.kill()  # no shutdown at all: acknowledged means durable
    srv.proc.wait()
    srv.proc.stdout.close()
    srv.proc.stderr.close()
    srv = Server(directory)
    check(cli(srv.port, "GET", "durable:299") == "v299", "acknowledged data after SIGKILL")
    check(cli(srv.port, "DBSIZE") == str(int(cli(srv.port, "DBSIZE"))), "DBSIZE after restart")
    before = int(cli(srv.port, "DBSIZE"))

    # SIGTERM while clients are writing: the server stops cleanly, and every write a
    # client saw acknowledged is there after a restart.
    acked = []
    def writer(w):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        f = s.makefile("rb")
        try:
            for i in range(100000):
                s.sendall(resp("SET", "term:%d:%d" % (w, i), "x"))
                if f.readline() != b"+OK\r\n":
                    break
                acked.append("term:%d:%d" % (w, i))
        except OSError:
            pass
        s.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    while len(acked) < 200:
        time.sleep(0.01)
    rc = srv.stop(signal.SIGTERM)
    for t in threads:
        t.join()
    check(rc == 0, "exit status after SIGTERM: %d" % rc)
    srv = Server(directory)
    missing = [k for k in acked if cli(srv.port, "EXISTS", k) != "1"] if len(acked) < 50 else None
    if missing is None:
        # Check all of them with one pipelined EXISTS per key.
        out = raw(srv.port, b"".join(resp("EXISTS", k) for k in acked))
        missing = out.count(b":0\r\n")
    check(not missing, "acknowledged writes lost over SIGTERM: %r" % missing)
    check(int(cli(srv.port, "DBSIZE")) >= before + len(acked), "DBSIZE after SIGTERM restart")
    check(srv.stop(signal.SIGINT) == 0, "exit status after SIGINT")


def main():
    for tool in ("redis-cli", "redis-benchmark"):
        if not shutil.which(tool):
            print("SKIP: %s is not installed (Debian: redis-tools)" % tool)
            return 77
    start = time.time()
    work = tempfile.mkdtemp(prefix="server-test-", dir=os.getcwd())
    try:
        srv = Server(os.path.join(work, "a"), "--max-clients", "24", "--max-request", str(1 << 20))
        try:
            for t in (test_commands, test_pipelining, test_multi_atomicity, test_malformed):
                t0 = time.time()
                t(srv.port)
                print("%s: %.1fs" % (t.__name__, time.time() - t0), flush=True)
            t0 = time.time()
            test_max_clients(srv.port, 24)
            print("test_max_clients: %.1fs" % (time.time() - t0), flush=True)
        finally:
            check(srv.stop() == 0, "clean exit")
        t0 = time.time()
        test_restart(os.path.join(work, "b"))
        print("test_restart: %.1fs" % (time.time() - t0), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failure(s), %.1fs" % (len(FAILURES), time.time() - start))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
