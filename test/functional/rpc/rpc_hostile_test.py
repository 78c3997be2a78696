#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""usk_tgt's JSON-RPC server against careless or hostile local clients: an
empty socket path, garbage and NUL bytes, pipelined requests, clients that
hold connections. Each check prints one line; the exit status is 1 if any
failed. The helpers (Tgt, raw_exchange, ...) are rpc_test.py's."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("rpc_test", os.path.join(HERE, "rpc_test.py"))
rt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rt)

check = rt.check
request = rt.request
error_of = rt.error_of
raw_exchange = rt.raw_exchange


def check_empty_socket_path(work):
    """-r "" (an unset shell variable) must not bind an abstract socket."""
    mask, _ = rt.allowed_cores()
    log_path = os.path.join(work, "empty.log")
    with open(log_path, "w+") as log:
        proc = subprocess.Popen([rt.TGT, "-m", mask, "-r", "", "--idle-sleep"],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            status = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = proc.wait()
            status = f"still running after 30 s (killed: {status})"
        log.seek(0)
        text = log.read()
    check("usk_tgt -r '' refuses to start, naming the option",
          status not in (0, None) and isinstance(status, int)
          and "socket path (-r, --rpc-socket) is empty" in text, f"exit {status}: {text}")


def check_garbage(tgt):
    for name, data in (("a NUL byte", b"\0"),
                       ("a NUL byte inside a request", b'{"jsonrpc": "2.0", "method": \0}')):
        answers, closed = raw_exchange(tgt.sock, data, timeout=10)
        check(f"{name}: parse error, then the connection closes",
              answers and error_of(answers[0])[0] == -32700 and closed, str(answers))
    answers, _ = raw_exchange(tgt.sock, b'{"jsonrpc": "1.0", "id": 7, "method": "x"}')
    check("an invalid request is answered with its id",
          answers and error_of(answers[0])[0] == -32600 and answers[0].get("id") == 7,
          str(answers))
    answers, _ = raw_exchange(tgt.sock, request("log_get_level"))
    check("the server still answers after the garbage", answers and "result" in answers[0],
          str(answers))


def send_all_then_read(path, data, timeout=20):
    """Sends @data, closes the write side, and reads every answer until the server closes."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        buf = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    return [json.loads(line) for line in buf.splitlines() if line.strip()]


def check_big_numbers(tgt):
    """jansson refuses integers outside int64; the field must be named, the connection kept."""
    data = (b'{"jsonrpc": "2.0", "id": 1, "method": "bdev_null_create", '
            b'"params": {"name": "Big", "num_blocks": 18446744073709551616}}'
            + request("log_get_level", rid=2))
    answers, closed = raw_exchange(tgt.sock, data, want=2)
    code, message = error_of(answers[0]) if answers else (None, "")
    check("num_blocks 2^64: invalid params naming the field, and the connection goes on",
          code == -32602 and "num_blocks" in message and len(answers) == 2
          and "result" in answers[1], str(answers))


def check_pipelining(tgt):
    """bdev_null_delete answers later (the bdev is unregistered on the threads)."""
    rc, _, _ = tgt.rpc_cli("bdev_null_create", "-b", "H0", "8")
    data = (request("bdev_get_bdevs", {"name": "H0"}, rid=1)
            + request("bdev_null_delete", {"name": "H0"}, rid=2)
            + request("bdev_get_bdevs", {"name": "H0"}, rid=3))
    answers = send_all_then_read(tgt.sock, data)
    ids = [a.get("id") for a in answers]
    check("get, delete, get sent at once: each runs in order, answers in order",
          rc == 0 and ids == [1, 2, 3] and answers[0].get("result")
          and answers[1].get("result") is True
          and "no bdev is called 'H0'" in error_of(answers[2])[1], str(answers))

    data = request("log_get_level", rid=1) + b'{"jsonrpc": ]' + request("log_get_level", rid=3)
    answers = send_all_then_read(tgt.sock, data)
    check("after a parse error: the requests before it are answered, none after it",
          [a.get("id") for a in answers] == [1, None]
          and error_of(answers[1])[0] == -32700, str(answers))


def check_connection_hogs(tgt):
    """128 clients (the server's limit) send half a request each and stop."""
    hogs = []
    try:
        for _ in range(128):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(30)
            s.connect(tgt.sock)
            s.sendall(b'{"jsonrpc": "2.0", "method": "log_get_')
            hogs.append(s)
        time.sleep(1)  # let the server take them all before the newcomer
        answers, _ = raw_exchange(tgt.sock, request("log_get_level", rid=5), timeout=15)
        check("with 128 idle half-requests held open, a new client is served",
              answers and answers[0].get("id") == 5 and "result" in answers[0], str(answers))
        check("the server logs which client it dropped to make room",
              "making room for a new client" in tgt.log_text(), tgt.log_text()[-2000:])
        # The last hog was not dropped to make room; the request timeout closes it.
        last = hogs[-1]
        data = b""
        try:
            while True:
                chunk = last.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError):
            data = None
        check("a half-sent request is closed after the request timeout, saying why",
              data is not None and b"did not arrive whole" in data, str(data))
    finally:
        for s in hogs:
            s.close()


def main():
    if not os.path.exists(rt.TGT):
        print(f"FAIL: {rt.TGT} is not built")
        return 1
    with tempfile.TemporaryDirectory(prefix="usk-rpc-hostile-") as work:
        check_empty_socket_path(work)
        tgt = rt.Tgt(work)
        try:
            if not tgt.wait_ready():
                check("usk_tgt starts", False, tgt.log_text())
                return 1
            check_garbage(tgt)
            check_big_numbers(tgt)
            check_pipelining(tgt)
            check_connection_hogs(tgt)
        finally:
            tgt.stop()

    failures = rt.FAILURES
    print(f"rpc hostile tests: {'all passed' if not failures else str(len(failures)) + ' failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
