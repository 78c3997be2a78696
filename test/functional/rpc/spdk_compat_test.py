#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""usk_tgt answers what SPDK's clients send: every method USK shares with
SPDK, called with every parameter SPDK's rpc.py can send (at SPDK's
default, or at a value USK honours), must succeed or fail for a reason that
is not the parameter; the answers carry the fields SPDK's tools read. The
parameter lists and defaults below are SPDK's, from its documentation of
each method (doc/jsonrpc.md and its schema), written out here so the test
needs no copy of SPDK. Each check prints one line; the exit status is 1 if
any failed."""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rpc_test import (FAILURES, TOP_BUILDDIR, Tgt, allowed_cores, check, error_of,  # noqa: E402
                      raw_exchange, request)

BDEVPERF = os.path.join(TOP_BUILDDIR, "app/bdevperf/usk_bdevperf")

UUID = "5bc6ab9e-1b0e-4d1e-9e3a-3c1f1a2b4c5d"
NQN = "nqn.2016-06.io.spdk:cnode1"
HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:5bc6ab9e-1b0e-4d1e-9e3a-3c1f1a2b4c5e"

# method -> every parameter SPDK's client can send, at SPDK's default (or a
# value that is USK's to honour, such as a name or a size).
CALLS = [
    ("rpc_get_methods", {"current": False, "include_aliases": False}),
    ("spdk_get_version", {}),
    ("framework_wait_init", {}),
    ("framework_get_subsystems", {}),
    ("framework_get_config", {"name": "bdev", "with_batches": False}),
    ("framework_get_reactors", {}),
    ("thread_get_stats", {}),
    ("thread_get_pollers", {}),
    ("thread_get_io_channels", {}),
    ("log_set_level", {"level": "NOTICE"}),
    ("log_get_level", {}),
    ("log_set_print_level", {"level": "INFO"}),
    ("log_get_print_level", {}),
    ("log_set_flag", {"flag": "bdev"}),
    ("log_clear_flag", {"flag": "bdev"}),
    ("log_get_flags", {}),
    ("bdev_malloc_create", {"name": "Malloc0", "num_blocks": 16384, "block_size": 512,
                            "uuid": UUID, "optimal_io_boundary": 0, "md_size": 0,
                            "md_interleave": False, "dif_type": 0, "dif_is_head_of_md": False,
                            "physical_block_size": 512, "dif_pi_format": 0, "numa_id": -1}),
    ("bdev_null_create", {"name": "Null0", "num_blocks": 131072, "block_size": 512,
                          "physical_block_size": 512, "md_size": 0, "dif_type": 0,
                          "dif_pi_format": 0, "dif_is_head_of_md": False,
                          "preferred_write_granularity": 0, "preferred_write_alignment": 0,
                          "optimal_write_size": 0, "preferred_unmap_granularity": 0,
                          "preferred_unmap_alignment": 0}),
    ("bdev_null_resize", {"name": "Null0", "new_size": 128}),
    ("bdev_split_create", {"base_bdev": "Null0", "split_count": 2, "split_size_mb": 0}),
    ("bdev_wait_for_examine", {}),
    ("bdev_get_bdevs", {"name": "Malloc0", "timeout": 0}),
    ("bdev_get_iostat", {"per_channel": False, "reset_mode": "none"}),
    ("bdev_reset_iostat", {"name": "Malloc0", "mode": "all"}),
    ("bdev_set_qos_limit", {"name": "Malloc0", "rw_ios_per_sec": 0, "rw_mbytes_per_sec": 0,
                            "r_mbytes_per_sec": 0, "w_mbytes_per_sec": 0}),
    ("bdev_enable_histogram", {"name": "Malloc0", "enable": True}),
    ("bdev_get_histogram", {"name": "Malloc0"}),
    ("bdev_nvme_get_controllers", {}),
    # What SPDK's save_config writes for a TCP target, member for member.
    ("nvmf_create_transport", {"trtype": "TCP", "max_queue_depth": 128,
                               "max_io_qpairs_per_ctrlr": 127, "in_capsule_data_size": 4096,
                               "max_io_size": 131072, "io_unit_size": 131072,
                               "max_aq_depth": 128, "num_shared_buffers": 511,
                               "buf_cache_size": 4294967295, "dif_insert_or_strip": False,
                               "zcopy": False, "c2h_success": True, "sock_priority": 0,
                               "abort_timeout_sec": 1, "ack_timeout": 0,
                               "data_wr_pool_size": 0}),
    ("nvmf_get_transports", {"trtype": "TCP"}),
    ("nvmf_create_subsystem", {"nqn": NQN, "allow_any_host": False,
                               "serial_number": "SPDK00000000000001",
                               "model_number": "SPDK bdev Controller", "max_namespaces": 32,
                               "min_cntlid": 1, "max_cntlid": 65519, "ana_reporting": False}),
    ("nvmf_subsystem_add_host", {"nqn": NQN, "host": HOSTNQN}),
    ("nvmf_subsystem_add_ns", {"nqn": NQN, "namespace": {
        "nsid": 1, "bdev_name": "Malloc0", "nguid": "5BC6AB9E1B0E4D1E9E3A3C1F1A2B4C5D",
        "uuid": UUID, "no_auto_visible": False, "anagrpid": 1}}),
    ("nvmf_subsystem_add_listener", {"nqn": NQN, "secure_channel": False,
                                     "listen_address": {"trtype": "TCP", "adrfam": "IPv4",
                                                        "traddr": "127.0.0.1",
                                                        "trsvcid": "0"}}),
    ("nvmf_get_subsystems", {}),
    ("nvmf_subsystem_remove_host", {"nqn": NQN, "host": HOSTNQN}),
    ("nvmf_delete_subsystem", {"nqn": NQN}),
    ("bdev_split_delete", {"base_bdev": "Null0"}),
]

# The fields SPDK's bdev_get_bdevs always writes for a bdev, and those of its
# assigned_rate_limits.
BDEV_FIELDS = {"name", "aliases", "product_name", "block_size", "num_blocks", "uuid",
               "assigned_rate_limits", "claimed", "zoned", "supported_io_types",
               "driver_specific"}
RATE_LIMITS = {"rw_ios_per_sec", "rw_mbytes_per_sec", "r_mbytes_per_sec", "w_mbytes_per_sec"}
# Per bdev in bdev_get_iostat.
IOSTAT_FIELDS = {"name", "bytes_read", "num_read_ops", "bytes_written", "num_write_ops",
                 "bytes_unmapped", "num_unmap_ops", "read_latency_ticks",
                 "max_read_latency_ticks", "min_read_latency_ticks", "write_latency_ticks",
                 "max_write_latency_ticks", "min_write_latency_ticks", "unmap_latency_ticks",
                 "max_unmap_latency_ticks", "min_unmap_latency_ticks", "io_error"}


def call(tgt, method, params):
    answers, _ = raw_exchange(tgt.sock, request(method, params))
    return answers[0] if answers else {"error": {"code": 0, "message": "no answer"}}


def check_every_shared_method(tgt, workdir):
    results = {}
    for method, params in CALLS:
        answer = call(tgt, method, params)
        results[method] = answer.get("result")
        check(f"{method} with SPDK's parameters {sorted(params)}", "error" not in answer,
              str(answer.get("error")))

    image = os.path.join(workdir, "uring.img")
    with open(image, "wb") as f:
        f.truncate(1 << 20)
    answer = call(tgt, "bdev_uring_create", {"filename": image, "name": "Uring0",
                                             "block_size": 512, "uuid": UUID[:-1] + "e"})
    check("bdev_uring_create with SPDK's parameters", "error" not in answer, str(answer))
    call(tgt, "bdev_uring_delete", {"name": "Uring0"})
    answer = call(tgt, "bdev_aio_create", {"filename": image, "name": "Aio0", "block_size": 512,
                                           "readonly": False, "fallocate": False,
                                           "uuid": UUID[:-1] + "f", "nowait": False})
    check("bdev_aio_create with SPDK's parameters", answer.get("result") == "Aio0", str(answer))
    answer = call(tgt, "bdev_aio_delete", {"name": "Aio0"})
    check("bdev_aio_delete with SPDK's parameters", answer.get("result") is True, str(answer))

    # No NVMe device on the host: refused for the device, never for a parameter.
    answer = call(tgt, "bdev_nvme_attach_controller", {
        "name": "Nvme0", "trtype": "pcie", "traddr": "0000:ff:1f.7", "prchk_reftag": False,
        "prchk_guard": False, "hdgst": False, "ddgst": False, "allow_unrecognized_csi": False,
        "disable_sq_flow_control": False, "multipath": "failover", "num_io_queues": 1024,
        "ctrlr_loss_timeout_sec": 0, "reconnect_delay_sec": 0, "fast_io_fail_timeout_sec": 0})
    message = error_of(answer)[1]
    check("bdev_nvme_attach_controller: SPDK's parameters pass, the missing device is named",
          "0000:ff:1f.7" in message and "unknown field" not in message, message)
    answer = call(tgt, "bdev_nvme_reset_controller", {"name": "Nvme0"})
    check("bdev_nvme_reset_controller names the controller it does not have",
          error_of(answer)[0] == -32602 and "Nvme0" in error_of(answer)[1], str(answer))
    return results


def check_answers(tgt, results):
    version = results.get("spdk_get_version") or {}
    check("spdk_get_version has SPDK's fields",
          isinstance(version.get("version"), str)
          and {"major", "minor", "patch", "suffix"} <= set(version.get("fields", {})),
          str(version))
    subsystems = [s.get("subsystem") for s in results.get("framework_get_subsystems") or []]
    check("framework_get_subsystems lists bdev", "bdev" in subsystems, str(subsystems))
    check("log_get_level answers in SPDK's spelling", results.get("log_get_level") == "NOTICE",
          str(results.get("log_get_level")))

    bdevs = call(tgt, "bdev_get_bdevs", {}).get("result") or []
    by_name = {b["name"]: b for b in bdevs}
    malloc = by_name.get("Malloc0", {})
    check("bdev_get_bdevs has SPDK's fields", BDEV_FIELDS <= set(malloc),
          str(BDEV_FIELDS - set(malloc)))
    check("assigned_rate_limits has SPDK's four limits",
          RATE_LIMITS <= set(malloc.get("assigned_rate_limits", {})), str(malloc))
    check("the UUID given at create is the bdev's", malloc.get("uuid") == UUID, str(malloc))
    check("a null bdev resized to 128 MiB has 262144 blocks",
          by_name.get("Null0", {}).get("num_blocks") == 262144, str(by_name.get("Null0")))
    found = call(tgt, "bdev_get_bdevs", {"name": UUID}).get("result") or []
    check("a bdev is found by its UUID", [b["name"] for b in found] == ["Malloc0"], str(found))

    stat = call(tgt, "bdev_get_iostat", {}).get("result") or {}
    entry = next((b for b in stat.get("bdevs", []) if b.get("name") == "Malloc0"), {})
    check("bdev_get_iostat has tick_rate, ticks and SPDK's counters per bdev",
          stat.get("tick_rate", 0) > 0 and "ticks" in stat and IOSTAT_FIELDS <= set(entry),
          str(IOSTAT_FIELDS - set(entry)))
    histogram = results.get("bdev_get_histogram") or {}
    check("bdev_get_histogram answers a histogram and the tick rate",
          isinstance(histogram.get("histogram"), str) and histogram.get("tsc_rate", 0) > 0,
          str(histogram))


def check_refusals(tgt):
    """A parameter USK cannot honour is refused by name, with the reason."""
    cases = [
        ("bdev_malloc_create", {"name": "M9", "num_blocks": 8, "block_size": 512, "md_size": 8},
         "md_size"),
        ("bdev_malloc_create", {"name": "M9", "num_blocks": 8, "block_size": 512,
                                "uuid": "not-a-uuid"}, "uuid"),
        ("bdev_null_create", {"name": "N9", "num_blocks": 8, "block_size": 512, "dif_type": 1},
         "dif_type"),
        ("bdev_nvme_attach_controller", {"name": "N9", "trtype": "pcie",
                                         "traddr": "0000:ff:1f.7", "hdgst": True}, "hdgst"),
    ]
    for method, params, field in cases:
        code, message = error_of(call(tgt, method, params))
        check(f"{method} refuses {field}={params[field]!r}, naming it",
              code == -32602 and f"'{field}'" in message, message)


def spdk_saved_bdevs(image, aio_image):
    """The bdev part of a config SPDK's save_config writes for a malloc, a
    null, a split of the null, a uring bdev and an aio bdev: every member
    SPDK writes."""
    return {"subsystems": [{"subsystem": "bdev", "config": [
        {"method": "bdev_malloc_create", "params": {
            "name": "Malloc1", "num_blocks": 8192, "block_size": 512,
            "physical_block_size": 512, "uuid": "0d6f3a52-7c1e-4b4a-9d2b-6a1f5e3c2b10",
            "optimal_io_boundary": 0, "md_size": 0, "dif_type": 0,
            "dif_is_head_of_md": False, "dif_pi_format": 0, "numa_id": -1}},
        {"method": "bdev_null_create", "params": {
            "name": "Null1", "num_blocks": 16384, "block_size": 512,
            "physical_block_size": 512, "md_size": 0, "dif_type": 0,
            "dif_is_head_of_md": False, "dif_pi_format": 0,
            "uuid": "7e2b9c41-3d5a-4f6e-8b1c-2a9d4e6f8a21", "preferred_write_granularity": 0,
            "preferred_write_alignment": 0, "optimal_write_size": 0,
            "preferred_unmap_granularity": 0, "preferred_unmap_alignment": 0}},
        {"method": "bdev_split_create", "params": {
            "base_bdev": "Null1", "split_count": 2, "split_size_mb": 0}},
        {"method": "bdev_uring_create", "params": {
            "name": "Uring1", "block_size": 512, "filename": image,
            "uuid": "c3a1e5f7-9b2d-4c6e-8f0a-1b3d5f7a9c12"}},
        {"method": "bdev_aio_create", "params": {
            "name": "Aio1", "filename": aio_image, "readonly": False, "fallocate": False,
            "uuid": "4f1d2c3b-5a6e-4d7c-9b8a-0e1f2d3c4b5a", "nowait": False}},
        {"method": "bdev_wait_for_examine"}]}]}


def check_spdk_saved_config(workdir):
    """An SPDK-saved bdev config loads unchanged into usk_tgt and usk_bdevperf."""
    image = os.path.join(workdir, "saved.img")
    aio_image = os.path.join(workdir, "saved-aio.img")
    for path in (image, aio_image):
        with open(path, "wb") as f:
            f.truncate(1 << 20)
    conf = os.path.join(workdir, "spdk-saved.json")
    with open(conf, "w") as f:
        json.dump(spdk_saved_bdevs(image, aio_image), f)
    want = ["Aio1", "Malloc1", "Null1p0", "Null1p1", "Uring1"]
    tgt = Tgt(workdir, "--json", conf, sock=os.path.join(workdir, "saved.sock"))
    try:
        ready = tgt.wait_ready()
        bdevs = call(tgt, "bdev_get_bdevs", {}).get("result") or [] if ready else []
        names = sorted(b["name"] for b in bdevs if b["name"] != "Null1")
        uuids = {b["name"]: b.get("uuid") for b in bdevs}
        check("usk_tgt loads an SPDK-saved malloc, null, split, uring and aio config",
              names == want, f"{names} {tgt.log_text()[-1500:]}")
        check("the saved UUIDs are the bdevs' again",
              uuids.get("Malloc1") == "0d6f3a52-7c1e-4b4a-9d2b-6a1f5e3c2b10"
              and uuids.get("Uring1") == "c3a1e5f7-9b2d-4c6e-8f0a-1b3d5f7a9c12"
              and uuids.get("Aio1") == "4f1d2c3b-5a6e-4d7c-9b8a-0e1f2d3c4b5a", str(uuids))
    finally:
        tgt.stop()
    cores, _ = allowed_cores()
    perf = subprocess.run([BDEVPERF, "--json", conf, "-q", "8", "-o", "4096", "-w", "randread",
                           "-t", "1", "-m", cores], capture_output=True, text=True, timeout=120)
    check("usk_bdevperf runs on every bdev of the SPDK-saved config",
          perf.returncode == 0 and all(n in perf.stdout for n in want),
          f"exit {perf.returncode}: {perf.stdout[-1500:]} {perf.stderr[-1500:]}")


def main():
    with tempfile.TemporaryDirectory(prefix="usk-spdk-") as work:
        tgt = Tgt(work)
        try:
            if not tgt.wait_ready():
                check("usk_tgt starts", False, tgt.log_text())
                return 1
            results = check_every_shared_method(tgt, work)
            check_answers(tgt, results)
            check_refusals(tgt)
            check_spdk_saved_config(work)
            log = tgt.log_text()
            check("the log notes an ignored SPDK parameter once",
                  log.count("parameter 'md_interleave' accepted and ignored") == 1, log[-2000:])
        finally:
            tgt.stop()
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
