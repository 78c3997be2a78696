#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""scripts/rpc.py's command line, without usk_tgt: SPDK's spelling of every
shared method gives the params SPDK's client sends (with --dry-run), bad
values give one error line, and a server that errs, hangs up or never answers
gives one line too (a fake server on a Unix socket). Each check prints one
line; the exit status is 1 if any failed."""

import contextlib
import io
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rpc_test import FAILURES, RPC_PY, check, rpc  # noqa: E402


def rpc_py(args, stdin=None):
    """Runs scripts/rpc.py as a user does; returns (exit status, stdout, stderr)."""
    p = subprocess.run([sys.executable, RPC_PY, *args], input=stdin,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def rpc_main(args):
    """rpc.main() in this process: the same, without a Python start-up per line."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = rpc.main(args)
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


NO_FLAGS = {"md_interleave": False, "dif_is_head_of_md": False}  # malloc's flags, not given
NVME_FLAGS = {"prchk_reftag": False, "prchk_guard": False, "hdgst": False, "ddgst": False,
              "allow_unrecognized_csi": False, "disable_sq_flow_control": False}
UUID = "0b7a8f2e-5bd5-4b1d-9b55-0c3a4c1f9e10"

# (command line, method, params, whose spelling). "spdk": SPDK's rpc.py takes
# the line and sends exactly these params. "usk": USK's own (older) spelling,
# or where USK's client differs on purpose (save_config is one request to
# usk_tgt; SPDK's client builds it from framework_get_config).
DRY_RUNS = [
    ("rpc_get_methods", "rpc_get_methods", {"current": False, "include_aliases": False}, "spdk"),
    ("rpc_get_methods -c -i", "rpc_get_methods", {"current": True, "include_aliases": True},
     "spdk"),
    ("rpc_get_methods --current --include-aliases", "rpc_get_methods",
     {"current": True, "include_aliases": True}, "spdk"),
    ("spdk_get_version", "spdk_get_version", {}, "spdk"),
    ("spdk_kill_instance SIGINT", "spdk_kill_instance", {"sig_name": "SIGINT"}, "spdk"),
    ("spdk_kill_instance", "spdk_kill_instance", {"sig_name": "SIGTERM"}, "usk"),
    ("framework_wait_init", "framework_wait_init", {}, "spdk"),
    ("framework_get_subsystems", "framework_get_subsystems", {}, "spdk"),
    ("framework_get_config bdev", "framework_get_config",
     {"name": "bdev", "with_batches": False}, "spdk"),
    ("framework_get_config --with-batches bdev", "framework_get_config",
     {"name": "bdev", "with_batches": True}, "spdk"),
    ("framework_get_reactors", "framework_get_reactors", {}, "spdk"),
    ("thread_get_stats", "thread_get_stats", {}, "spdk"),
    ("thread_get_pollers", "thread_get_pollers", {}, "spdk"),
    ("thread_get_io_channels", "thread_get_io_channels", {}, "spdk"),
    ("save_config", "save_config", {}, "usk"),
    ("save_config -i 4", "save_config", {}, "usk"),
    ("log_set_level DEBUG", "log_set_level", {"level": "DEBUG"}, "spdk"),
    ("log_set_level WARNING", "log_set_level", {"level": "WARNING"}, "spdk"),
    ("log_set_level info", "log_set_level", {"level": "info"}, "usk"),
    ("log_get_level", "log_get_level", {}, "spdk"),
    ("log_set_print_level NOTICE", "log_set_print_level", {"level": "NOTICE"}, "spdk"),
    ("log_get_print_level", "log_get_print_level", {}, "spdk"),
    ("log_set_flag bdev", "log_set_flag", {"flag": "bdev"}, "spdk"),
    ("log_clear_flag all", "log_clear_flag", {"flag": "all"}, "spdk"),
    ("log_get_flags", "log_get_flags", {}, "spdk"),
    # global options before the method
    ("-s /nonexistent/usk.sock -t 2.5 -r 3 -v log_get_level", "log_get_level", {}, "spdk"),
    ("--verbose DEBUG log_get_level", "log_get_level", {}, "spdk"),
    ("--verbose log_get_level", "log_get_level", {}, "usk"),
    ("--socket /nonexistent/usk.sock --timeout 9 log_get_level", "log_get_level", {}, "usk"),

    ("bdev_get_bdevs", "bdev_get_bdevs", {}, "spdk"),
    ("bdev_get_bdevs -b Malloc0", "bdev_get_bdevs", {"name": "Malloc0"}, "spdk"),
    ("bdev_get_bdevs --name Malloc0 -t 100", "bdev_get_bdevs",
     {"name": "Malloc0", "timeout": 100}, "spdk"),
    ("bdev_get_bdevs -b Malloc0 --timeout-ms 0", "bdev_get_bdevs",
     {"name": "Malloc0", "timeout": 0}, "spdk"),
    ("bdev_get_iostat", "bdev_get_iostat", {"per_channel": False}, "spdk"),
    ("bdev_get_iostat -c --reset-mode maxmin --names Malloc0,Null0", "bdev_get_iostat",
     {"per_channel": True, "reset_mode": "maxmin", "names": ["Malloc0", "Null0"]}, "spdk"),
    ("bdev_get_iostat --per-channel --names Malloc0", "bdev_get_iostat",
     {"per_channel": True, "names": ["Malloc0"]}, "spdk"),
    ("bdev_get_iostat -b Malloc0", "bdev_get_iostat",
     {"name": "Malloc0", "per_channel": False}, "usk"),
    ("bdev_reset_iostat", "bdev_reset_iostat", {}, "spdk"),
    ("bdev_reset_iostat -b Malloc0 -m all", "bdev_reset_iostat",
     {"name": "Malloc0", "mode": "all"}, "spdk"),
    ("bdev_reset_iostat --name Malloc0 --mode error", "bdev_reset_iostat",
     {"name": "Malloc0", "mode": "error"}, "spdk"),
    ("bdev_wait_for_examine", "bdev_wait_for_examine", {}, "spdk"),
    ("bdev_get_histogram Malloc0", "bdev_get_histogram", {"name": "Malloc0"}, "spdk"),
    ("bdev_enable_histogram Malloc0 --histogram", "bdev_enable_histogram",
     {"name": "Malloc0", "enable": True}, "spdk"),
    ("bdev_enable_histogram --no-histogram Malloc0", "bdev_enable_histogram",
     {"name": "Malloc0", "enable": False}, "spdk"),
    ("bdev_enable_histogram -o read --granularity 7 --min-nsec 10 --max-nsec 1000000 "
     "--histogram Malloc0", "bdev_enable_histogram",
     {"name": "Malloc0", "enable": True, "opc": "read", "granularity": 7, "min_nsec": 10,
      "max_nsec": 1000000}, "spdk"),
    ("bdev_set_qos_limit Malloc0 --rw-ios-per-sec 20000", "bdev_set_qos_limit",
     {"name": "Malloc0", "rw_ios_per_sec": 20000}, "spdk"),
    ("bdev_set_qos_limit --rw-mbytes-per-sec 100 --r-mbytes-per-sec 50 --w-mbytes-per-sec 0 "
     "Malloc0", "bdev_set_qos_limit",
     {"name": "Malloc0", "rw_mbytes_per_sec": 100, "r_mbytes_per_sec": 50,
      "w_mbytes_per_sec": 0}, "spdk"),
    ("bdev_set_qos_limit Malloc0 --rw_ios_per_sec 5000 --rw_mbytes_per_sec 10",
     "bdev_set_qos_limit", {"name": "Malloc0", "rw_ios_per_sec": 5000,
                            "rw_mbytes_per_sec": 10}, "usk"),

    ("bdev_malloc_create 64 512", "bdev_malloc_create",
     {"num_blocks": 131072, "block_size": 512, **NO_FLAGS}, "spdk"),
    ("bdev_malloc_create -b Malloc0 64 4096", "bdev_malloc_create",
     {"name": "Malloc0", "num_blocks": 16384, "block_size": 4096, **NO_FLAGS}, "spdk"),
    (f"bdev_malloc_create 0.5 512 --name M1 -u {UUID} -p 4096 -o 8 -m 8 -i -t 1 -d -f 0 -n -1",
     "bdev_malloc_create",
     {"name": "M1", "num_blocks": 1024, "block_size": 512, "uuid": UUID,
      "physical_block_size": 4096, "optimal_io_boundary": 8, "md_size": 8,
      "md_interleave": True, "dif_type": 1, "dif_is_head_of_md": True, "dif_pi_format": 0,
      "numa_id": -1}, "spdk"),
    ("bdev_malloc_create --md-size 16 --md-interleave --dif-type 3 --dif-is-head-of-md "
     "--dif-pi-format 2 --numa-id 0 --physical-block-size 4096 --optimal-io-boundary 0 "
     "--uuid X 1 4096", "bdev_malloc_create",
     {"num_blocks": 256, "block_size": 4096, "uuid": "X", "physical_block_size": 4096,
      "optimal_io_boundary": 0, "md_size": 16, "md_interleave": True, "dif_type": 3,
      "dif_is_head_of_md": True, "dif_pi_format": 2, "numa_id": 0}, "spdk"),
    ("bdev_malloc_create -b Malloc0 16", "bdev_malloc_create",
     {"name": "Malloc0", "num_blocks": 32768, "block_size": 512, **NO_FLAGS}, "usk"),
    ("bdev_malloc_delete Malloc0", "bdev_malloc_delete", {"name": "Malloc0"}, "spdk"),
    ("bdev_null_create Null0 64 512", "bdev_null_create",
     {"name": "Null0", "num_blocks": 131072, "block_size": 512, "dif_is_head_of_md": False},
     "spdk"),
    (f"bdev_null_create Null1 8 4096 -u {UUID} -p 4096 -m 8 -t 1 -d -f 2 -a 1 -g 2 -s 4 "
     "-c 8 -r 16", "bdev_null_create",
     {"name": "Null1", "num_blocks": 2048, "block_size": 4096, "uuid": UUID,
      "physical_block_size": 4096, "md_size": 8, "dif_type": 1, "dif_is_head_of_md": True,
      "dif_pi_format": 2, "preferred_write_alignment": 1, "preferred_write_granularity": 2,
      "optimal_write_size": 4, "preferred_unmap_alignment": 8,
      "preferred_unmap_granularity": 16}, "spdk"),
    ("bdev_null_create --md-size 8 --dif-type 2 --dif-is-head-of-md --dif-pi-format 1 "
     "--preferred-write-alignment 4 --preferred-write-granularity 8 --optimal-write-size 16 "
     "--preferred-unmap-alignment 32 --preferred-unmap-granularity 64 --uuid X "
     "--physical-block-size 512 Null2 1 512", "bdev_null_create",
     {"name": "Null2", "num_blocks": 2048, "block_size": 512, "uuid": "X",
      "physical_block_size": 512, "md_size": 8, "dif_type": 2, "dif_is_head_of_md": True,
      "dif_pi_format": 1, "preferred_write_alignment": 4, "preferred_write_granularity": 8,
      "optimal_write_size": 16, "preferred_unmap_alignment": 32,
      "preferred_unmap_granularity": 64}, "spdk"),
    ("bdev_null_create -b Null0 64", "bdev_null_create",
     {"name": "Null0", "num_blocks": 131072, "block_size": 512, "dif_is_head_of_md": False},
     "usk"),
    ("bdev_null_create -b Null0 1 4096", "bdev_null_create",
     {"name": "Null0", "num_blocks": 256, "block_size": 4096, "dif_is_head_of_md": False},
     "usk"),
    ("bdev_null_delete Null0", "bdev_null_delete", {"name": "Null0"}, "spdk"),
    ("bdev_null_resize Null0 128", "bdev_null_resize", {"name": "Null0", "new_size": 128},
     "spdk"),
    ("bdev_split_create Malloc0 4", "bdev_split_create",
     {"base_bdev": "Malloc0", "split_count": 4}, "spdk"),
    ("bdev_split_create -s 16 Malloc0 2", "bdev_split_create",
     {"base_bdev": "Malloc0", "split_count": 2, "split_size_mb": 16}, "spdk"),
    ("bdev_split_create Malloc0 2 --split-size-mb 8", "bdev_split_create",
     {"base_bdev": "Malloc0", "split_count": 2, "split_size_mb": 8}, "spdk"),
    ("bdev_split_delete Malloc0", "bdev_split_delete", {"base_bdev": "Malloc0"}, "spdk"),
    ("bdev_uring_create /dev/nvme0n1 Uring0", "bdev_uring_create",
     {"filename": "/dev/nvme0n1", "name": "Uring0"}, "spdk"),
    ("bdev_uring_create /tmp/disk.img Uring1 4096 -u X", "bdev_uring_create",
     {"filename": "/tmp/disk.img", "name": "Uring1", "block_size": 4096, "uuid": "X"}, "spdk"),
    ("bdev_uring_create --uuid X /tmp/disk.img Uring1", "bdev_uring_create",
     {"filename": "/tmp/disk.img", "name": "Uring1", "uuid": "X"}, "spdk"),
    ("bdev_uring_delete Uring0", "bdev_uring_delete", {"name": "Uring0"}, "spdk"),
    ("bdev_uring_set_options --sqpoll --sqpoll-idle-ms 500", "bdev_uring_set_options",
     {"sqpoll": True, "sqpoll_idle_ms": 500}, "usk"),
    ("bdev_uring_set_options", "bdev_uring_set_options", {}, "usk"),
    ("bdev_aio_create /dev/sdb Aio0", "bdev_aio_create",
     {"filename": "/dev/sdb", "name": "Aio0", "readonly": False, "fallocate": False,
      "nowait": False}, "spdk"),
    (f"bdev_aio_create /tmp/disk.img Aio1 4096 -r --fallocate -u {UUID} --no-wait",
     "bdev_aio_create",
     {"filename": "/tmp/disk.img", "name": "Aio1", "block_size": 4096, "readonly": True,
      "fallocate": True, "uuid": UUID, "nowait": True}, "spdk"),
    ("bdev_aio_create --readonly /tmp/disk.img Aio2", "bdev_aio_create",
     {"filename": "/tmp/disk.img", "name": "Aio2", "readonly": True, "fallocate": False,
      "nowait": False}, "spdk"),
    ("bdev_aio_delete Aio0", "bdev_aio_delete", {"name": "Aio0"}, "spdk"),

    ("bdev_nvme_attach_controller -b Nvme0 -t PCIe -a 0000:01:00.0",
     "bdev_nvme_attach_controller",
     {"name": "Nvme0", "trtype": "PCIe", "traddr": "0000:01:00.0", **NVME_FLAGS}, "spdk"),
    ("bdev_nvme_attach_controller --name Nvme0 --trtype pcie --traddr 0000:01:00.0 -r -g "
     "-l -1 -o 2 -u 1 --num-io-queues 4 -m 64", "bdev_nvme_attach_controller",
     {"name": "Nvme0", "trtype": "pcie", "traddr": "0000:01:00.0", **NVME_FLAGS,
      "prchk_reftag": True, "prchk_guard": True, "ctrlr_loss_timeout_sec": -1,
      "reconnect_delay_sec": 2, "fast_io_fail_timeout_sec": 1, "num_io_queues": 4,
      "max_bdevs": 64}, "spdk"),
    ("bdev_nvme_attach_controller -b N1 -t tcp -a 10.0.0.1 -f ipv4 -s 4420 -n nqn.sub "
     "-q nqn.host -i 10.0.0.2 -c 4421 -p 1 -e -d -x multipath --fabrics-timeout 100 -k key0 "
     "--dhchap-key k1 --dhchap-ctrlr-key k2 -U --policy active_active --selector round_robin "
     "--min-io 8 --disable-sq-flow-control", "bdev_nvme_attach_controller",
     {"name": "N1", "trtype": "tcp", "traddr": "10.0.0.1", "adrfam": "ipv4",
      "trsvcid": "4420", "subnqn": "nqn.sub", "hostnqn": "nqn.host", "hostaddr": "10.0.0.2",
      "hostsvcid": "4421", "priority": "1", "prchk_reftag": False, "prchk_guard": False,
      "hdgst": True, "ddgst": True, "multipath": "multipath",
      "fabrics_connect_timeout_us": 100, "psk": "key0", "dhchap_key": "k1",
      "dhchap_ctrlr_key": "k2", "allow_unrecognized_csi": True,
      "disable_sq_flow_control": True,
      "multipath_opts": {"policy": "active_active", "selector": "round_robin", "min_io": 8}},
     "spdk"),
    ("bdev_nvme_attach_controller -b Nvme0 -a 0000:01:00.0", "bdev_nvme_attach_controller",
     {"name": "Nvme0", "trtype": "PCIe", "traddr": "0000:01:00.0", **NVME_FLAGS}, "usk"),
    ("bdev_nvme_attach_controller -b Nvme0 -a 0000:01:00.0 --no-interrupts",
     "bdev_nvme_attach_controller",
     {"name": "Nvme0", "trtype": "PCIe", "traddr": "0000:01:00.0", **NVME_FLAGS,
      "enable_interrupts": False}, "usk"),
    ("bdev_nvme_detach_controller Nvme0", "bdev_nvme_detach_controller", {"name": "Nvme0"},
     "spdk"),
    ("bdev_nvme_detach_controller Nvme0 -t tcp -a 10.0.0.1 -f ipv4 -s 4420 -n nqn.sub "
     "-i 10.0.0.2 -c 4421", "bdev_nvme_detach_controller",
     {"name": "Nvme0", "trtype": "tcp", "traddr": "10.0.0.1", "adrfam": "ipv4",
      "trsvcid": "4420", "subnqn": "nqn.sub", "hostaddr": "10.0.0.2", "hostsvcid": "4421"},
     "spdk"),
    ("bdev_nvme_get_controllers", "bdev_nvme_get_controllers", {}, "spdk"),
    ("bdev_nvme_get_controllers -n Nvme0", "bdev_nvme_get_controllers", {"name": "Nvme0"},
     "spdk"),
    ("bdev_nvme_reset_controller Nvme0", "bdev_nvme_reset_controller", {"name": "Nvme0"},
     "spdk"),
    ("bdev_nvme_reset_controller Nvme0 --cntlid 1", "bdev_nvme_reset_controller",
     {"name": "Nvme0", "cntlid": 1}, "spdk"),
    ("bdev_nvme_set_options -a abort -t 2000000 --timeout-admin-us 5000000 -r -1",
     "bdev_nvme_set_options",
     {"action_on_timeout": "abort", "timeout_us": 2000000, "timeout_admin_us": 5000000,
      "bdev_retry_count": -1}, "spdk"),
    ("bdev_nvme_set_options --action-on-timeout reset --timeout-us 1 --bdev-retry-count 0",
     "bdev_nvme_set_options",
     {"action_on_timeout": "reset", "timeout_us": 1, "bdev_retry_count": 0}, "spdk"),
    ("call bdev_get_bdevs '{\"name\": \"Malloc0\"}'", "bdev_get_bdevs", {"name": "Malloc0"},
     "usk"),
]

# Command lines rpc.py must refuse with exit 2 and one line.
BAD_LINES = [
    "", "-t 0 log_get_level", "-t -1 log_get_level", "-t abc log_get_level",
    "-t nan log_get_level", "-r -1 log_get_level", "-r x log_get_level", "bdev_nul_create",
    "--verbose LOUD log_get_level", "bdev_get_bdevs extra",
    "bdev_null_create Null0 -1 512", "bdev_null_create Null0 64 0", "bdev_null_create Null0 x 512",
    "bdev_null_create Null0 64", "bdev_null_create -b Null0 -5", "bdev_null_create -b N 1 512 9",
    "bdev_null_create Null0 64 512 -t 1", "bdev_null_create Null0 64 512 -t 4",
    "bdev_malloc_create -b M -64 512", "bdev_malloc_create -b M 0 512",
    "bdev_malloc_create -b M 1 3000", "bdev_malloc_create -b M nan", "bdev_malloc_create -b M inf",
    "bdev_malloc_create 1 512 -n -2", "bdev_malloc_delete", "bdev_null_resize Null0 -1",
    "bdev_split_create Malloc0 0", "bdev_split_create Malloc0",
    "bdev_set_qos_limit Malloc0 --rw-ios-per-sec -5",
    "bdev_set_qos_limit Malloc0 --rw-ios-per-sec many", "bdev_get_bdevs -t -1",
    "bdev_nvme_attach_controller -b Nvme0", "bdev_nvme_attach_controller -b N -a X -x sometimes",
    "bdev_nvme_reset_controller Nvme0 -c -1", "bdev_enable_histogram Malloc0",
    "bdev_nvme_set_options -a later", "bdev_nvme_set_options -r -2",
    "bdev_enable_histogram --histogram --no-histogram Malloc0", "bdev_uring_create /tmp/f",
    "log_set_level LOUD", "spdk_kill_instance SIGSTOP", "call m '{not json'",
    "load_config -j /nonexistent/conf.json", "bdev_get_iostat --reset-mode some",
    # Past what a float or a socket's timeout holds: once a traceback each.
    "bdev_malloc_create -b M 1e308", "-t 1e10 log_get_level",
]


def requests_of(stdout):
    """The requests a --dry-run printed, as JSON values."""
    return [json.loads(block) for block in stdout.split("Request:\n")[1:]]


def one_error_line(rc, out, err, want_rc):
    lines = err.splitlines()
    return (rc == want_rc and len(lines) == 1 and lines[0].startswith("rpc.py: ")
            and "Traceback" not in err and not out)


def check_dry_runs():
    for i, (line, method, params, whose) in enumerate(DRY_RUNS):
        run = rpc_py if i == 0 else rpc_main
        rc, out, err = run(["--dry-run", *shlex.split(line)])
        try:
            got = requests_of(out)
        except json.JSONDecodeError:
            got = out
        want = [{"method": method, "params": params}]
        check(f"{whose}: rpc.py {line}", rc == 0 and not err and got == want,
              f"rc {rc}, sent {got}, stderr {err!r}")


def check_bad_lines(work):
    notjson = os.path.join(work, "notjson.conf")
    with open(notjson, "w") as f:
        f.write("{subsystems")
    for line in BAD_LINES + [f"load_config -j {notjson}"]:
        rc, out, err = rpc_py(["--dry-run", *shlex.split(line)])
        check(f"refused in one line: rpc.py {line}", one_error_line(rc, out, err, 2),
              f"rc {rc}, stdout {out!r}, stderr {err!r}")
    rc, out, err = rpc_py(["--dry-run", "load_config"], stdin="[1")
    check("refused in one line: load_config from stdin that is not JSON",
          one_error_line(rc, out, err, 2), err)


class FakeServer:
    """A Unix socket that answers each request with reply(request), one
    connection at a time. reply returns a dict to answer with, bytes to send
    as they are before hanging up, None to hang up, or "wait" to say nothing."""

    def __init__(self, path):
        self.path = path
        self.reply = None
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.done = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.done:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(30)
                self.converse(conn)

    def converse(self, conn):
        buf, decoder = "", json.JSONDecoder()
        while True:
            try:
                data = conn.recv(65536)
            except (OSError, socket.timeout):
                return
            if not data:
                return
            buf += data.decode()
            try:
                request, end = decoder.raw_decode(buf.lstrip())
            except json.JSONDecodeError:
                continue
            buf = buf.lstrip()[end:]
            self.requests.append(request)
            answer = self.reply(request)
            if answer is None:
                return
            if answer == "wait":
                continue
            if isinstance(answer, bytes):
                conn.sendall(answer)
                return
            conn.sendall(json.dumps({"jsonrpc": "2.0", "id": request.get("id"), **answer}).encode())

    def run(self, reply, *args, stdin=None):
        self.reply, self.requests = reply, []
        return rpc_py(["-s", self.path, "-t", "2", *args], stdin=stdin)

    def stop(self):
        self.done = True
        self.thread.join()
        self.sock.close()


def error(code, message):
    return {"error": {"code": code, "message": message}}


def check_failed_calls(work):
    rc, out, err = rpc_py(["-s", os.path.join(work, "none.sock"), "log_get_level"])
    check("no socket: one line naming it", one_error_line(rc, out, err, 1)
          and "none.sock" in err and "No such file" in err, err)

    refusing = os.path.join(work, "refusing.sock")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(refusing)  # bound but not listening: connect() is refused
        rc, out, err = rpc_py(["-s", refusing, "-r", "2", "log_get_level"])
    check("connection refused, after -r 2 retries: one line", one_error_line(rc, out, err, 1)
          and "refused" in err, err)

    server = FakeServer(os.path.join(work, "fake.sock"))
    try:
        rc, out, err = server.run(lambda r: error(-32602, "params: field 'level': bad"),
                                  "log_set_level", "DEBUG")
        check("a JSON-RPC error: one line with the code and message",
              one_error_line(rc, out, err, 1) and "-32602" in err and "field 'level': bad" in err,
              err)
        rc, out, err = server.run(lambda r: None, "log_get_level")
        check("the server hangs up before answering: one line",
              one_error_line(rc, out, err, 1) and "closed" in err, err)
        rc, out, err = server.run(lambda r: b'{"jsonrpc": "2.0", "id": 1, "resu', "log_get_level")
        check("the server hangs up in the middle of its answer: one line",
              one_error_line(rc, out, err, 1) and "closed" in err, err)
        rc, out, err = server.run(lambda r: "wait", "-t", "0.3", "log_get_level")
        check("no answer within -t: one line", one_error_line(rc, out, err, 1)
              and "no answer" in err, err)
        rc, out, err = server.run(lambda r: b"[1, 2]", "log_get_level")
        check("an answer that is not a JSON-RPC response: one line",
              one_error_line(rc, out, err, 1), err)
        rc, out, err = server.run(lambda r: b'{"result": "\xff"}', "log_get_level")
        check("an answer that is not UTF-8: one line", one_error_line(rc, out, err, 1), err)
        rc, out, err = server.run(lambda r: None, "spdk_kill_instance", "SIGTERM")
        check("spdk_kill_instance: the server going away is what was asked",
              rc == 0 and not err, err)

        rc, out, _ = server.run(lambda r: {"result": "notice"}, "log_get_level")
        check("an answer: its result on stdout, as JSON", rc == 0 and json.loads(out) == "notice"
              and server.requests == [{"jsonrpc": "2.0", "method": "log_get_level", "id": 1}],
              f"{out!r} {server.requests}")

        check_configs(server, work)
    finally:
        server.stop()


def check_configs(server, work):
    saved = {"subsystems": [{"subsystem": "log", "config": []},
                            {"subsystem": "bdev", "config": [
                                {"method": "bdev_null_create",
                                 "params": {"name": "Null0", "num_blocks": 8}}]},
                            {"subsystem": "accel", "config": []}]}
    tree = [{"subsystem": "log", "depends_on": []}, {"subsystem": "accel", "depends_on": []},
            {"subsystem": "bdev", "depends_on": ["accel"]}]

    def target(r):
        results = {"save_config": saved, "framework_get_subsystems": tree,
                   "rpc_get_methods": ["bdev_null_create", "log_set_level"]}
        return {"result": results.get(r["method"], True)}
    rc, out, _ = server.run(target, "save_config", "-s", "bdev")
    got = [s["subsystem"] for s in json.loads(out)["subsystems"]] if rc == 0 else None
    check("save_config -s bdev: bdev and what it depends on", got == ["bdev", "accel"], str(got))
    rc, out, _ = server.run(target, "save_config", "-i", "-1")
    check("save_config -i -1: one line", rc == 0 and out.count("\n") == 1, out)

    conf = os.path.join(work, "saved.json")
    with open(conf, "w") as f:
        json.dump({"subsystems": [{"subsystem": "log", "config": [
            {"method": "log_set_level", "params": {"level": "info"}}]},
            {"subsystem": "bdev", "config": saved["subsystems"][1]["config"]}]}, f)
    rc, out, err = server.run(target, "load_config", "-j", conf)
    methods = [(r["method"], r.get("params")) for r in server.requests]
    check("load_config -j calls each entry in order", rc == 0 and methods == [
        ("rpc_get_methods", {"include_aliases": False}), ("log_set_level", {"level": "info"}),
        ("bdev_null_create", {"name": "Null0", "num_blocks": 8})], f"{methods} {err}")
    rc, out, err = server.run(lambda r: {"result": ["log_set_level"]}, "load_config",
                              stdin=open(conf).read())
    check("load_config stops before a method the server does not have, in one line",
          one_error_line(rc, out, err, 1) and "bdev_null_create" in err
          and len(server.requests) == 1, err)


def main():
    with tempfile.TemporaryDirectory(prefix="usk-rpc-cli-") as work:
        check_dry_runs()
        check_bad_lines(work)
        check_failed_calls(work)
    print(f"rpc.py command-line tests: "
          f"{'all passed' if not FAILURES else str(len(FAILURES)) + ' failed'}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
