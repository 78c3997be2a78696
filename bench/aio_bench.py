#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The aio bdev next to fio's libaio engine on the same target, 4 KiB
random reads on one core: a 1 GiB file of random data in /dev/shm, then a
loop device over that file where the machine allows one (root and
losetup). usk_bdevperf opens the file O_DIRECT; fio gets --direct=1.
usk_bdevperf runs twice: spinning (its default), and with --idle-sleep
(the reactor sleeps on the completion eventfd after 20 us idle), which
matters where a kernel worker finishes the I/O (the loop device) and must
share the core. The system calls each makes per I/O (strace -c, a shorter
run, spinning) are printed beside the IOPS, when strace can trace.

    bench/aio_bench.py [--builddir build] [--seconds 3] [--no-loop]

The goal (issue 16) is >= 1.0x fio at qd 128. A benchmark, not a test: it
prints figures and never fails on them.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

QUEUE_DEPTHS = (128, 1)
IDLE_SLEEP = ["--idle-sleep", "--idle-threshold-us", "20"]


def fio_cmd(path, core, qd, seconds):
    return ["fio", "--name=bench", f"--filename={path}", "--ioengine=libaio", "--direct=1",
            "--rw=randread", "--bs=4k", f"--iodepth={qd}", f"--runtime={seconds}",
            "--time_based", f"--cpus_allowed={core}", "--output-format=json"]


def bdevperf_cmd(bdevperf, config, core, qd, seconds):
    return [bdevperf, "--json", config, "-m", f"[{core}]", "-q", str(qd), "-o", "4k",
            "-w", "randread", "-t", str(seconds)]


def run_bdevperf(cmd):
    """usk_bdevperf's IOPS."""
    out = subprocess.run(cmd + ["--json-output"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["total"]["iops"]


def run_fio(path, core, qd, seconds):
    """fio's libaio engine on @path, one job on @core; returns IOPS."""
    out = subprocess.run(fio_cmd(path, core, qd, seconds), capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)["jobs"][0]["read"]["iops"]


def syscalls_per_io(cmd, ios_of):
    """System calls per I/O of @cmd under strace -c, or None when strace cannot trace.
    @ios_of turns the command's stdout into its I/O count."""
    if shutil.which("strace") is None or subprocess.run(
            ["strace", "-o", os.devnull, "true"], capture_output=True).returncode != 0:
        return None
    summary = "/dev/shm/usk-aio-bench-strace"
    out = subprocess.run(["strace", "-f", "-c", "-o", summary] + cmd, capture_output=True,
                         text=True, check=True)
    with open(summary) as f:
        lines = f.read().splitlines()
    os.unlink(summary)
    total = [line.split() for line in lines if line.split()[-1:] == ["total"]]
    calls = int(total[0][3]) if total else 0
    return calls / max(ios_of(out.stdout), 1)


def fio_ios(stdout):
    return json.loads(stdout)["jobs"][0]["read"]["total_ios"]


def bdevperf_ios(stdout):
    return json.loads(stdout)["total"]["ios"]


def compare(bdevperf, core, seconds, path, label):
    """Prints usk_bdevperf on an aio bdev over @path next to fio on @path."""
    config = f"/dev/shm/usk-aio-bench-{os.getpid()}.json"
    with open(config, "w") as f:
        json.dump({"subsystems": [{"subsystem": "bdev", "config": [
            {"method": "bdev_aio_create",
             "params": {"name": "Aio0", "filename": path, "block_size": 4096}}]}]}, f)
    try:
        print(f"\naio bdev vs fio --ioengine=libaio --direct=1, {label}, 4 KiB randread, "
              f"core {core}, {seconds} s per figure\n")
        print(f"{'queue depth':>12} {'usk spinning':>13} {'usk idle-sleep':>15} "
              f"{'fio':>10} {'ratios':>13} {'usk syscalls/IO':>16} {'fio syscalls/IO':>16}")
        for qd in QUEUE_DEPTHS:
            cmd = bdevperf_cmd(bdevperf, config, core, qd, seconds)
            spin, sleep = run_bdevperf(cmd), run_bdevperf(cmd + IDLE_SLEEP)
            fio = run_fio(path, core, qd, seconds)
            usk_sc = syscalls_per_io(bdevperf_cmd(bdevperf, config, core, qd, 1)
                                     + ["--json-output"], bdevperf_ios)
            fio_sc = syscalls_per_io(fio_cmd(path, core, qd, 1), fio_ios)
            sc = "" if usk_sc is None else f"{usk_sc:>16.3f} {fio_sc:>16.3f}"
            ratios = f"{spin / fio:.2f}x {sleep / fio:.2f}x"
            print(f"{qd:>12} {spin:>13,.0f} {sleep:>15,.0f} {fio:>10,.0f} {ratios:>13} {sc}")
    finally:
        os.unlink(config)


def make_file(path):
    """1 GiB of random data, so that neither side reads holes."""
    with open(path, "wb") as f:
        for _ in range(1 << 10):
            f.write(os.urandom(1 << 20))


def attach_loop(path):
    """A loop device over @path, or None (with the reason printed) where there is none."""
    if os.geteuid() != 0 or shutil.which("losetup") is None:
        print("\nno loop device: losetup needs root")
        return None
    p = subprocess.run(["losetup", "-f", "--show", path], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"\nno loop device: {p.stderr.strip()}")
        return None
    return p.stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builddir", default=os.path.join(os.path.dirname(__file__), "../build"))
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--no-loop", action="store_true", help="skip the loop device")
    args = parser.parse_args()
    bdevperf = os.path.join(args.builddir, "app/bdevperf/usk_bdevperf")
    if not os.path.exists(bdevperf):
        print(f"aio_bench: {bdevperf} is not built (make -C {args.builddir})", file=sys.stderr)
        return 2
    core = min(os.sched_getaffinity(0))
    path = f"/dev/shm/usk-aio-bench-{os.getpid()}"
    loop = None
    try:
        make_file(path)
        compare(bdevperf, core, args.seconds, path, "1 GiB file in /dev/shm")
        loop = None if args.no_loop else attach_loop(path)
        if loop is not None:
            compare(bdevperf, core, args.seconds, loop, f"loop device ({loop}) over that file")
    finally:
        if loop is not None:
            subprocess.run(["losetup", "-d", loop], check=False)
        os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
