#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""usk_tgt's JSON-RPC server, from the outside: every built-in method through
scripts/rpc.py, then what a careless or hostile client can send. Each check
prints one line; the exit status is 1 if any failed."""

import importlib.util
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

TOP_SRCDIR = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "../../.."))
TOP_BUILDDIR = os.environ.get("top_builddir", TOP_SRCDIR)
TGT = os.path.join(TOP_BUILDDIR, "app/tgt/usk_tgt")
RPC_PY = os.path.join(TOP_SRCDIR, "scripts/rpc.py")

spec = importlib.util.spec_from_file_location("rpc", RPC_PY)
rpc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rpc)

FAILURES = []


def check(name, ok, detail=""):
    print(f"{'ok' if ok else 'FAIL'}: {name}" + (f" ({detail})" if detail and not ok else ""))
    if not ok:
        FAILURES.append(name)


def allowed_cores():
    cores = sorted(os.sched_getaffinity(0))
    return f"[{cores[0]},{cores[-1]}]", len(set([cores[0], cores[-1]]))


class Tgt:
    """A usk_tgt process with its own socket, stopped for sure at the end."""

    def __init__(self, workdir, *args, sock=None):
        self.sock = sock or os.path.join(workdir, "usk.sock")
        self.log = open(os.path.join(workdir, "tgt.log"), "a+")
        self.dumped = False
        mask, _ = allowed_cores()
        self.proc = subprocess.Popen([TGT, "-m", mask, "-r", self.sock, "--idle-sleep", *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.sock)
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def rpc_cli(self, *args):
        """Runs scripts/rpc.py; returns (exit status, parsed stdout or None, stderr)."""
        p = subprocess.run([sys.executable, RPC_PY, "-s", self.sock, "-t", "20", *args],
                           capture_output=True, text=True, timeout=60)
        if "no answer in" in p.stderr:
            self.dump_stacks(f"rpc.py {args[0]} had no answer")
        try:
            out = json.loads(p.stdout) if p.stdout.strip() else None
        except json.JSONDecodeError:
            out = None
        return p.returncode, out, p.stderr

    def dump_stacks(self, why):
        """Prints, once, where each of usk_tgt's threads is: a hang is seldom seen twice."""
        if self.dumped or self.proc.poll() is not None:
            return
        self.dumped = True
        print(f"# {why}: usk_tgt's threads (pid {self.proc.pid}):")
        if shutil.which("gdb") is None:
            print("# (gdb is not installed)")
            return
        p = subprocess.run(["gdb", "-batch", "-p", str(self.proc.pid),
                            "-ex", "thread apply all bt"],
                           capture_output=True, text=True, timeout=120)
        print("\n".join("# " + line for line in p.stdout.splitlines()
                        if line.startswith(("#", "Thread"))))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if FAILURES:
            # The log lives in a temporary directory: what it says goes with the test's.
            print("\n".join("# tgt: " + line for line in self.log_text().splitlines()))
        self.log.close()

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()


def raw_exchange(path, data, want=1, timeout=20):
    """Sends raw bytes and reads `want` answers (fewer if the server closes)."""
    answers = []
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(path)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        decoder = json.JSONDecoder()
        while len(answers) < want:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            buf += chunk
            text = buf.decode().lstrip()
            while text:
                try:
                    value, end = decoder.raw_decode(text)
                except json.JSONDecodeError:
                    break
                answers.append(value)
                text = text[end:].lstrip()
            buf = text.encode()
        closed = False
        if len(answers) >= want:
            s.settimeout(0.5)
            try:
                closed = s.recv(1) == b""
            except ConnectionResetError:
                closed = True
            except socket.timeout:
                closed = False
    return answers, closed


def request(method, params=None, rid=1):
    req = {"jsonrpc": "2.0", "method": method, "id": rid}
    if params is not None:
        req["params"] = params
    return json.dumps(req).encode()


def error_of(answer):
    err = answer.get("error") or {}
    return err.get("code"), err.get("message", "")


def check_methods(tgt):
    rc, methods, _ = tgt.rpc_cli("rpc_get_methods")
    want = {"rpc_get_methods", "framework_get_reactors", "thread_get_stats",
            "thread_get_pollers", "save_config", "bdev_get_bdevs", "bdev_get_iostat",
            "bdev_malloc_create", "bdev_malloc_delete", "bdev_null_create", "bdev_null_delete",
            "bdev_set_qos_limit", "bdev_split_create", "bdev_split_delete",
            "spdk_kill_instance", "log_set_level", "log_get_level", "log_set_flag",
            "log_clear_flag", "log_get_flags"}
    check("rpc_get_methods lists the built-in methods", rc == 0 and want <= set(methods or []),
          str(methods))

    # SPDK's rpc.py always sends both flags; USK has one state and no aliases.
    for params in ({"current": False, "include_aliases": False}, {"current": True}):
        answers, _ = raw_exchange(tgt.sock, request("rpc_get_methods", params))
        check(f"rpc_get_methods takes SPDK's flags {params} and lists every method",
              answers and set(answers[0].get("result") or []) == set(methods or []),
              str(answers))

    _, ncores = allowed_cores()
    rc, reactors, _ = tgt.rpc_cli("framework_get_reactors")
    names = [t["name"] for r in (reactors or {}).get("reactors", []) for t in r["lw_threads"]]
    check("framework_get_reactors: a reactor per core, the app thread on one",
          rc == 0 and len(reactors["reactors"]) == ncores and "app_thread" in names
          and reactors["tick_rate"] > 0 and reactors["idle_sleep"] is True, str(reactors))

    rc, stats, _ = tgt.rpc_cli("thread_get_stats")
    app = [t for t in (stats or {}).get("threads", []) if t["name"] == "app_thread"]
    check("thread_get_stats shows the app thread and its RPC poller",
          rc == 0 and len(app) == 1 and app[0]["timed_pollers_count"] >= 1
          and app[0]["busy"] > 0, str(stats))

    rc, pollers, _ = tgt.rpc_cli("thread_get_pollers")
    app = [t for t in (pollers or {}).get("threads", []) if t["name"] == "app_thread"]
    rpc_poller = [p for p in (app[0]["pollers"] if app else []) if p["name"] == "rpc_server"]
    check("thread_get_pollers shows the RPC server's poller and its runs",
          rc == 0 and rpc_poller and rpc_poller[0]["run_count"] > 0
          and rpc_poller[0]["period_us"] > 0, str(pollers))

    rc, out, _ = tgt.rpc_cli("log_set_level", "info")
    rc2, level, _ = tgt.rpc_cli("log_get_level")
    check("log_set_level then log_get_level", rc == 0 and out is True and level == "INFO")
    rc, _, _ = tgt.rpc_cli("log_set_flag", "rpc")
    _, flags, _ = tgt.rpc_cli("log_get_flags")
    check("log_set_flag turns a flag on", rc == 0 and flags.get("rpc") is True, str(flags))
    rc, _, _ = tgt.rpc_cli("log_clear_flag", "rpc")
    _, flags, _ = tgt.rpc_cli("log_get_flags")
    check("log_clear_flag turns it off", rc == 0 and flags.get("rpc") is False, str(flags))
    rc, _, err = tgt.rpc_cli("log_set_flag", "disk")
    check("log_set_flag with an unknown flag is an error naming it",
          rc == 1 and "'disk'" in err and "-32602" in err, err)

    rc, config, _ = tgt.rpc_cli("save_config")
    log = [s for s in (config or {}).get("subsystems", []) if s["subsystem"] == "log"]
    check("save_config writes the log subsystem's settings",
          rc == 0 and log and {"method": "log_set_level", "params": {"level": "INFO"}}
          in log[0]["config"], str(config))
    return config


def check_bdevs(tgt):
    rc, name, _ = tgt.rpc_cli("bdev_malloc_create", "-b", "Malloc0", "16", "4096")
    rc2, name2, _ = tgt.rpc_cli("bdev_null_create", "-b", "Null0", "64")
    check("bdev_malloc_create and bdev_null_create answer the names",
          rc == 0 and name == "Malloc0" and rc2 == 0 and name2 == "Null0", f"{name} {name2}")
    rc, bdevs, _ = tgt.rpc_cli("bdev_get_bdevs")
    got = {b["name"]: (b["driver"], b["block_size"], b["num_blocks"]) for b in bdevs or []}
    check("bdev_get_bdevs shows both with their geometry",
          got == {"Malloc0": ("malloc", 4096, 4096), "Null0": ("null", 512, 131072)}, str(got))
    rc, out, _ = tgt.rpc_cli("bdev_set_qos_limit", "Malloc0", "--rw_ios_per_sec", "5000")
    _, bdevs, _ = tgt.rpc_cli("bdev_get_bdevs", "-b", "Malloc0")
    check("bdev_set_qos_limit sets the limit bdev_get_bdevs shows",
          rc == 0 and out is True and bdevs[0]["assigned_rate_limits"]["rw_ios_per_sec"] == 5000,
          str(bdevs))
    rc, stat, _ = tgt.rpc_cli("bdev_get_iostat", "-b", "Malloc0")
    check("bdev_get_iostat counts per bdev",
          rc == 0 and [b["name"] for b in stat["bdevs"]] == ["Malloc0"]
          and stat["bdevs"][0]["num_read_ops"] == 0, str(stat))

    path = tgt.sock
    bad = [
        ("bdev_malloc_create", {"num_blocks": 8}, "params: missing field 'name'"),
        ("bdev_malloc_create", {"name": "M1", "num_blocks": 8, "block_size": 520},
         "params: field 'block_size': 520 is not a power of two from 512 to 65536"),
        ("bdev_malloc_create", {"name": "M1", "num_blocks": "8"},
         "params: field 'num_blocks': expected an integer from 0 to 9223372036854775807"),
        ("bdev_null_create", {"name": "Malloc0", "num_blocks": 8},
         "params: field 'name': a bdev called 'Malloc0' exists"),
        ("bdev_null_delete", {"name": "Malloc0"},
         "params: field 'name': no null bdev is called 'Malloc0'"),
        ("bdev_get_bdevs", {"name": "Nope"}, "params: field 'name': no bdev is called 'Nope'"),
        ("bdev_uring_create", {"name": "U9", "filename": "/nonexistent/disk.img"},
         "params: field 'filename': cannot open /nonexistent/disk.img: No such file or directory"),
        ("bdev_split_create", {"base_bdev": "Nope", "split_count": 2},
         "params: field 'base_bdev': cannot open 'Nope': no bdev has that name"),
        ("bdev_nvme_attach_controller", {"name": "N9"}, "params: missing field 'traddr'"),
        ("bdev_nvme_attach_controller", {"name": "N9", "trtype": "RDMA", "traddr": "1.2.3.4"},
         "params: field 'trtype': 'RDMA' is not supported (PCIe or TCP)"),
        ("bdev_nvme_detach_controller", {"name": "N9"}, "params: field 'name': no such controller"),
    ]
    for method, params, message in bad:
        answers, _ = raw_exchange(path, request(method, params))
        check(f"{method} with bad params is refused, naming the field",
              answers and error_of(answers[0])[1] == message, str(answers))
    rc, _, err = tgt.rpc_cli("bdev_malloc_create", "-b", "M2", "1", "3000")
    check("rpc.py refuses a size that is not a multiple of the block size",
          rc == 2 and "not a multiple of block_size" in err, err)

    image = os.path.join(os.path.dirname(tgt.sock), "aio.img")
    with open(image, "wb") as f:
        f.truncate(1 << 20)
    rc, name, err = tgt.rpc_cli("bdev_aio_create", image, "Aio0", "4096", "--fallocate")
    _, bdevs, _ = tgt.rpc_cli("bdev_get_bdevs", "-b", "Aio0")
    aio = bdevs[0] if rc == 0 and bdevs else {}
    check("bdev_aio_create FILE NAME BLOCK_SIZE --fallocate makes the bdev, with unmap",
          name == "Aio0" and (aio["driver"], aio["block_size"], aio["num_blocks"]) ==
          ("aio", 4096, 256) and aio["supported_io_types"]["unmap"] is True
          and aio["driver_specific"]["aio"]["fallocate"] is True, f"{err} {aio}")
    rc, _, err = tgt.rpc_cli("bdev_aio_create", image, "Aio1", "--no-wait")
    check("bdev_aio_create --no-wait on a file is refused, naming the field",
          rc == 1 and "field 'nowait'" in err, err)
    rc, out, _ = tgt.rpc_cli("bdev_aio_delete", "Aio0")
    _, bdevs, _ = tgt.rpc_cli("bdev_get_bdevs")
    check("bdev_aio_delete removes the bdev",
          rc == 0 and out is True and "Aio0" not in [b["name"] for b in bdevs], str(bdevs))

    rc, _, _ = tgt.rpc_cli("bdev_null_create", "-b", "Gone", "1")
    rc2, out, _ = tgt.rpc_cli("bdev_null_delete", "Gone")
    _, bdevs, _ = tgt.rpc_cli("bdev_get_bdevs")
    check("bdev_null_delete removes the bdev",
          rc == 0 and rc2 == 0 and out is True and "Gone" not in [b["name"] for b in bdevs],
          str(bdevs))


def check_bad_requests(tgt):
    path = tgt.sock
    answers, closed = raw_exchange(path, b'{"jsonrpc": "2.0", "method": ]')
    check("malformed JSON: parse error, then the connection closes",
          answers and error_of(answers[0])[0] == -32700 and closed, str(answers))

    answers, _ = raw_exchange(path, request("log_set_level", {}))
    check("a missing field is named", answers and error_of(answers[0]) ==
          (-32602, "params: missing field 'level'"), str(answers))

    answers, _ = raw_exchange(path, request("log_set_level", {"level": 3}))
    check("a wrong type is named", answers and error_of(answers[0]) ==
          (-32602, "params: field 'level': expected a string"), str(answers))

    answers, _ = raw_exchange(path, request("framework_get_reactors", {"verbose": True}))
    check("an unknown field is named", answers and error_of(answers[0]) ==
          (-32602, "params: unknown field 'verbose'"), str(answers))

    answers, _ = raw_exchange(path, request("iscsi_get_portal_groups", rid="q"))
    check("an unknown method: method not found, with the request's id",
          answers and error_of(answers[0])[0] == -32601 and answers[0]["id"] == "q",
          str(answers))

    answers, _ = raw_exchange(path, b'{"jsonrpc": "1.0", "method": "log_get_level", "id": 1}')
    check("a wrong jsonrpc version is an invalid request",
          answers and error_of(answers[0])[0] == -32600, str(answers))

    answers, _ = raw_exchange(path, b'[' + request("log_get_level") + b']')
    check("a batch is refused as an invalid request",
          answers and error_of(answers[0])[0] == -32600, str(answers))

    big = request("log_set_flag", {"flag": "x" * (10 << 20)})
    answers, _ = raw_exchange(path, big, timeout=60)
    check("a 10 MiB request is read whole and answered",
          answers and error_of(answers[0])[0] == -32602, str(answers)[:200])

    huge = request("log_set_flag", {"flag": "x" * (33 << 20)})
    answers, closed = raw_exchange(path, huge, timeout=60)
    check("a request over 32 MiB: invalid request, then the connection closes",
          answers and error_of(answers[0]) == (-32600, "request larger than 32 MiB") and closed,
          str(answers)[:200])


def check_connections(tgt):
    path = tgt.sock
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall(b'{"jsonrpc": "2.0", "method": "log_get_')
    answers, _ = raw_exchange(path, request("log_get_level"))
    check("a client that leaves mid-request does no harm",
          answers and answers[0].get("result") in ("INFO", "NOTICE"), str(answers))

    pipelined = b"".join(request("log_get_level", rid=i) for i in range(5))
    answers, _ = raw_exchange(path, pipelined, want=5)
    check("requests sent together are answered in order",
          [a.get("id") for a in answers] == list(range(5)), str(answers))

    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(20)
        s.connect(path)
        for byte in request("log_get_level", rid=77):
            s.send(bytes([byte]))
        reply = json.loads(s.recv(65536))
    check("a request sent byte by byte is answered", reply.get("id") == 77, str(reply))

    answers, _ = raw_exchange(path, b'{"jsonrpc":"2.0","method":"log_get_level"}' +
                              request("log_get_level", rid=9))
    check("a notification gets no answer, the next request does",
          len(answers) == 1 and answers[0].get("id") == 9, str(answers))

    clients = []
    for i in range(50):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(30)
        s.connect(path)
        clients.append(s)
    for i, s in enumerate(clients):
        s.sendall(request("thread_get_stats", rid=i))
    good = 0
    for i, s in enumerate(clients):
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        reply = json.loads(buf)
        good += reply.get("id") == i and "threads" in reply.get("result", {})
        s.close()
    check("50 clients at once each get their own answer", good == 50, f"{good} of 50")

    answers, _ = raw_exchange(path, request("log_get_level"))
    check("the server keeps serving after all that", answers and "result" in answers[0])


def main():
    if not os.path.exists(TGT):
        print(f"FAIL: {TGT} is not built")
        return 1
    with tempfile.TemporaryDirectory(prefix="usk-rpc-") as work:
        conf = os.path.join(work, "start.json")
        with open(conf, "w") as f:
            json.dump({"subsystems": [{"subsystem": "log", "config": [
                {"method": "log_set_level", "params": {"level": "notice"}}]}]}, f)

        # A socket file left by a dead server is replaced.
        stale = os.path.join(work, "usk.sock")
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(stale)
        tgt = Tgt(work, "--json", conf)
        try:
            check("usk_tgt starts over a stale socket file, with a JSON config",
                  tgt.wait_ready(), tgt.log_text())
            mode = stat.S_IMODE(os.stat(tgt.sock).st_mode)
            check("the socket is 0600", mode == 0o600, oct(mode))

            second = Tgt(work)
            check("a second usk_tgt on a live socket refuses to start",
                  second.proc.wait(timeout=30) == 1 and "another server listens" in
                  second.log_text(), second.log_text())
            second.stop()

            check_bdevs(tgt)
            saved = check_methods(tgt)
            check_bad_requests(tgt)
            check_connections(tgt)

            rc, out, _ = tgt.rpc_cli("spdk_kill_instance", "SIGTERM")
            status = tgt.proc.wait(timeout=30)
            check("spdk_kill_instance answers, then usk_tgt stops cleanly",
                  rc == 0 and out is True and status == 0 and not os.path.exists(tgt.sock),
                  f"rc {rc}, exit {status}")
        finally:
            tgt.stop()

        # What save_config wrote starts a new usk_tgt with the same settings.
        with open(conf, "w") as f:
            json.dump(saved, f)
        tgt = Tgt(work, "--json", conf)
        try:
            ready = tgt.wait_ready()
            rc, again, _ = tgt.rpc_cli("save_config")
            check("--json with a saved config gives back the same config",
                  ready and rc == 0 and again == saved, f"{saved} vs {again}")
            _, bdevs, _ = tgt.rpc_cli("bdev_get_bdevs")
            check("a restart with the saved config brings the same bdevs back",
                  sorted(b["name"] for b in bdevs or []) == ["Malloc0", "Null0"], str(bdevs))
            tgt.proc.send_signal(signal.SIGTERM)
            status = tgt.proc.wait(timeout=30)
            check("SIGTERM stops usk_tgt cleanly and removes its socket",
                  status == 0 and not os.path.exists(tgt.sock), f"exit {status}")
        finally:
            tgt.stop()

        with open(conf, "w") as f:
            f.write('{"subsystems": [{"subsystem": "log", "config": [{"method": "nope"}]}]}')
        tgt = Tgt(work, "--json", conf)
        try:
            status = tgt.proc.wait(timeout=30)
            log = tgt.log_text()
            check("a bad JSON config stops start-up with a message naming the method",
                  status == 1 and "(method 'nope')" in log, log)
        finally:
            tgt.stop()

    print(f"rpc tests: {'all passed' if not FAILURES else str(len(FAILURES)) + ' failed'}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
