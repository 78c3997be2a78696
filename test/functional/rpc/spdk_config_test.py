#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""usk_tgt and SPDK's configs: a config written by hand in the shape spdk_tgt's
save_config writes loads with notices for what USK has no use for; one that
needs a subsystem USK lacks is refused naming it; SPDK's own rpc.py (when
found: $SPDK_RPC_PY names a checkout's scripts/rpc.py) saves a config that
usk_tgt loads back. Each check prints one line; the exit status is 1 if any
failed, 77 (skipped) when usk_tgt is not built."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

SPDK_RPC_PY = os.environ.get("SPDK_RPC_PY", "")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rpc_test import FAILURES, TGT, check  # noqa: E402


class Tgt:
    """A usk_tgt on one allowed core with its own socket and log, killed at the end."""

    def __init__(self, workdir, name, *args):
        self.sock = os.path.join(workdir, f"{name}.sock")
        self.log_path = os.path.join(workdir, f"{name}.log")
        core = min(os.sched_getaffinity(0))
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([TGT, "-m", f"[{core}]", "-r", self.sock, *args],
                                         stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline and self.proc.poll() is None:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.sock)
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def wait_exit(self, timeout=20):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def call(self, method, params=None):
        """One request on a new connection; returns the answer object."""
        request = {"jsonrpc": "2.0", "id": 1, "method": method}
        if params is not None:
            request["params"] = params
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(20)
            s.connect(self.sock)
            s.sendall(json.dumps(request).encode())
            buf = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                try:
                    return json.loads(buf)
                except json.JSONDecodeError:
                    continue
        return None

    def result(self, method, params=None):
        return (self.call(method, params) or {}).get("result")

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def spdk_config():
    """What spdk_tgt's save_config writes with one malloc bdev, written by hand."""
    def sub(name, config):
        return {"subsystem": name, "config": config}

    def call(method, params=None):
        return {"method": method, **({"params": params} if params is not None else {})}

    nvme_options = {
        "action_on_timeout": "none", "timeout_us": 0, "timeout_admin_us": 0,
        "keep_alive_timeout_ms": 10000, "arbitration_burst": 0, "low_priority_weight": 0,
        "medium_priority_weight": 0, "high_priority_weight": 0,
        "nvme_adminq_poll_period_us": 10000, "nvme_ioq_poll_period_us": 0,
        "io_queue_requests": 512, "delay_cmd_submit": True, "transport_retry_count": 4,
        "bdev_retry_count": 3, "transport_ack_timeout": 0, "ctrlr_loss_timeout_sec": 0,
        "reconnect_delay_sec": 0, "fast_io_fail_timeout_sec": 0,
        "disable_auto_failback": False, "generate_uuids": False, "transport_tos": 0,
        "nvme_error_stat": False, "rdma_srq_size": 0, "io_path_stat": False,
        "allow_accel_sequence": False, "rdma_max_cq_size": 0, "rdma_cm_event_timeout_ms": 0,
        "dhchap_digests": ["sha256", "sha384", "sha512"],
        "dhchap_dhgroups": ["null", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144",
                            "ffdhe8192"],
        "rdma_umr_per_io": False, "tcp_connect_timeout_ms": 0, "enable_flush": False}
    return {"subsystems": [
        sub("keyring", []),
        sub("iobuf", [call("iobuf_set_options", {
            "small_pool_count": 8192, "large_pool_count": 1024, "small_bufsize": 8192,
            "large_bufsize": 135168, "enable_numa": False})]),
        sub("sock", [call("sock_set_default_impl", {"impl_name": "posix"}),
                     call("sock_impl_set_options", {
                         "impl_name": "posix", "recv_buf_size": 2097152,
                         "send_buf_size": 2097152, "enable_recv_pipe": True,
                         "enable_quickack": False, "enable_placement_id": 0,
                         "enable_zerocopy_send_server": True,
                         "enable_zerocopy_send_client": False, "zerocopy_threshold": 0,
                         "tls_version": 0, "enable_ktls": False})]),
        sub("vmd", []),
        sub("accel", [call("accel_set_options", {
            "small_cache_size": 128, "large_cache_size": 16, "task_count": 2048,
            "sequence_count": 2048, "buf_count": 2048})]),
        sub("bdev", [
            call("bdev_set_options", {
                "bdev_io_pool_size": 65535, "bdev_io_cache_size": 256,
                "bdev_auto_examine": True, "iobuf_small_cache_size": 128,
                "iobuf_large_cache_size": 16}),
            call("bdev_nvme_set_options", nvme_options),
            call("bdev_nvme_set_hotplug", {"period_us": 100000, "enable": False}),
            call("bdev_malloc_create", {"name": "Malloc0", "num_blocks": 8192,
                                        "block_size": 512}),
            call("bdev_wait_for_examine")]),
        sub("scsi", None),
        sub("scheduler", [call("framework_set_scheduler", {"name": "static"})]),
        sub("vhost_scsi", []),
        sub("vhost_blk", []),
        sub("ublk", []),
        sub("nbd", []),
        sub("nvmf", [call("nvmf_set_config", {"discovery_filter": "match_any",
                                              "admin_cmd_passthru": {"identify_ctrlr": False}}),
                     call("nvmf_set_max_subsystems", {"max_subsystems": 1024}),
                     call("nvmf_set_crdt", {"crdt1": 0, "crdt2": 0, "crdt3": 0})]),
        sub("iscsi", [call("iscsi_set_options", {"node_base": "iqn.2016-06.io.spdk"})]),
        sub("vfio_user_target", None),
        sub("fsdev", [call("fsdev_set_opts", {"fsdev_io_pool_size": 65535,
                                              "fsdev_io_cache_size": 256})]),
    ]}


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
    return path


def bdev_names(tgt):
    return sorted(b["name"] for b in tgt.result("bdev_get_bdevs") or [])


def check_spdk_shaped_config(work):
    tgt = Tgt(work, "spdk_shaped", "-c", write_json(os.path.join(work, "spdk.json"),
                                                     spdk_config()))
    try:
        ready = tgt.wait_ready()
        check("usk_tgt starts with a config in spdk_tgt's save_config shape", ready,
              tgt.log_text())
        log = tgt.log_text()
        check("the subsystems USK lacks are skipped with a notice naming each",
              all(f"skipped subsystem '{name}'" in log
                  for name in ("iobuf", "sock", "accel", "scheduler", "iscsi", "scsi")),
              log)
        check("nvmf's SPDK-only methods are skipped with a notice naming each",
              all(f"skipped SPDK's '{m}'" in log
                  for m in ("nvmf_set_config", "nvmf_set_max_subsystems", "nvmf_set_crdt")), log)
        check("bdev's SPDK-only methods are skipped with a notice naming each",
              all(f"skipped SPDK's '{m}'" in log
                  for m in ("bdev_set_options", "bdev_nvme_set_hotplug")), log)
        check("bdev_nvme_set_options, which USK has, runs with SPDK's defaults",
              "skipped SPDK's 'bdev_nvme_set_options'" not in log, log)
        check("and its bdev is made", ready and bdev_names(tgt) == ["Malloc0"],
              str(bdev_names(tgt) if ready else None))
    finally:
        tgt.stop()


def check_refusals(work):
    config = spdk_config()
    iscsi = next(s for s in config["subsystems"] if s["subsystem"] == "iscsi")
    iscsi["config"].append({"method": "iscsi_create_portal_group",
                            "params": {"tag": 1, "portals": [{"host": "127.0.0.1",
                                                              "port": "3260"}]}})
    tgt = Tgt(work, "iscsi", "-c", write_json(os.path.join(work, "iscsi.json"), config))
    try:
        rc = tgt.wait_exit()
        log = tgt.log_text()
        check("a subsystem USK lacks, with a method that needs it, stops the start naming both",
              rc == 1 and "subsystem 'iscsi'" in log and "'iscsi_create_portal_group'" in log
              and "USK has no such subsystem" in log, f"rc {rc}: {log}")
    finally:
        tgt.stop()

    config = spdk_config()
    bdev = next(s for s in config["subsystems"] if s["subsystem"] == "bdev")
    bdev["config"][1]["params"]["timeout_us"] = 30000000
    tgt = Tgt(work, "timeout", "-c", write_json(os.path.join(work, "timeout.json"), config))
    try:
        rc = tgt.wait_exit()
        log = tgt.log_text()
        check("a timeout USK cannot honour (SPDK's 'none' only logs) stops the start naming it",
              rc == 1 and "'bdev_nvme_set_options'" in log
              and "field 'action_on_timeout'" in log, f"rc {rc}: {log}")
    finally:
        tgt.stop()

    config = spdk_config()
    bdev = next(s for s in config["subsystems"] if s["subsystem"] == "bdev")
    bdev["config"][2]["params"]["enable"] = True
    tgt = Tgt(work, "hotplug", "-c", write_json(os.path.join(work, "hotplug.json"), config))
    try:
        rc = tgt.wait_exit()
        log = tgt.log_text()
        check("a field off SPDK's default that USK cannot honour stops the start naming it",
              rc == 1 and "'bdev_nvme_set_hotplug'" in log and "field 'enable'" in log,
              f"rc {rc}: {log}")
    finally:
        tgt.stop()


def spdk_rpc(sock, *args):
    p = subprocess.run([sys.executable, SPDK_RPC_PY, "-s", sock, "-t", "20", *args],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check_spdk_client_round_trip(work):
    if not SPDK_RPC_PY or not os.path.exists(SPDK_RPC_PY):
        print("skip: SPDK's own rpc.py is not at hand (set SPDK_RPC_PY to try it)")
        return
    tgt = Tgt(work, "first")
    try:
        check("usk_tgt starts", tgt.wait_ready(), tgt.log_text())
        rc, out, err = spdk_rpc(tgt.sock, "spdk_get_version")
        fields = json.loads(out).get("fields", {}) if rc == 0 else {}
        check("SPDK's rpc.py: spdk_get_version answers USK's version in SPDK's fields",
              rc == 0 and set(fields) == {"major", "minor", "patch", "suffix"}, out + err)
        rc, _, err = spdk_rpc(tgt.sock, "framework_wait_init")
        check("SPDK's rpc.py: framework_wait_init returns at once", rc == 0, err)
        tgt.call("bdev_malloc_create", {"name": "Malloc7", "num_blocks": 2048,
                                        "block_size": 4096})
        for args in (("log_set_level", "INFO"), ("log_set_print_level", "WARNING")):
            rc, _, err = spdk_rpc(tgt.sock, *args)
            check(f"SPDK's rpc.py: {args[0]} {args[1]}", rc == 0, err)
        rc, out, err = spdk_rpc(tgt.sock, "log_get_level")
        check("SPDK's rpc.py: log_get_level answers in SPDK's spelling",
              rc == 0 and json.loads(out) == "INFO", out + err)
        rc, out, err = spdk_rpc(tgt.sock, "log_get_print_level")
        check("SPDK's rpc.py: log_get_print_level answers in SPDK's spelling",
              rc == 0 and json.loads(out) == "WARNING", out + err)
        image = os.path.join(work, "aio.img")
        with open(image, "wb") as f:
            f.truncate(1 << 20)
        rc, out, err = spdk_rpc(tgt.sock, "bdev_aio_create", image, "Aio7", "4096")
        check("SPDK's rpc.py: bdev_aio_create FILE NAME BLOCK_SIZE prints the name",
              rc == 0 and out.strip() == "Aio7"
              and "Aio7" in bdev_names(tgt), out + err)
        rc, _, err = spdk_rpc(tgt.sock, "bdev_aio_delete", "Aio7")
        check("SPDK's rpc.py: bdev_aio_delete NAME", rc == 0 and "Aio7" not in bdev_names(tgt),
              err)
        rc, out, err = spdk_rpc(tgt.sock, "save_config")
        saved = json.loads(out) if rc == 0 else None
        check("SPDK's rpc.py: save_config is usk_tgt's save_config",
              saved is not None and saved == tgt.result("save_config"), out + err)
    finally:
        tgt.stop()
    if saved is None:
        return
    tgt = Tgt(work, "second", "-c", write_json(os.path.join(work, "saved.json"), saved))
    try:
        ready = tgt.wait_ready()
        check("usk_tgt -c loads what SPDK's rpc.py saved", ready, tgt.log_text())
        check("with the bdev and the levels back",
              ready and bdev_names(tgt) == ["Malloc7"]
              and tgt.result("log_get_level") == "INFO"
              and tgt.result("log_get_print_level") == "WARNING", tgt.log_text())
    finally:
        tgt.stop()


def main():
    if not os.path.exists(TGT):
        print(f"skip: {TGT} is not built")
        return 77
    with tempfile.TemporaryDirectory(prefix="usk-spdk-config-") as work:
        check_spdk_shaped_config(work)
        check_refusals(work)
        check_spdk_client_round_trip(work)
    print(f"{len(FAILURES)} check(s) failed" if FAILURES else "all checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
