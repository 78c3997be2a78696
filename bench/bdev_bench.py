#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The bdev layer's own cost, measured with usk_bdevperf on a null bdev:
IOPS and CPU nanoseconds per I/O at qd 128 and qd 1 on one core; a uring
bdev over a 1 GiB file in /dev/shm next to fio with io_uring on the same
file; the start-up plus shutdown time of a run, and the peak memory.

    bench/bdev_bench.py [--builddir build] [--seconds 3] [--no-uring] [--plot DIR]

The null bdev's figures and the start-up time are printed next to their
targets (issue 8: >= 32 M IOPS; issue 15: <= 33 ns per I/O, <= 35 ms).
With --plot DIR each run's JSON goes to DIR, and scripts/plot.py draws
DIR/null-*.png (the null bdev at both depths) and DIR/uring-qdN-*.png
(the uring bdev next to fio): latency by percentile and IOPS each second.
usk_bdevperf then keeps a latency histogram (--latency-histogram), which
costs the null bdev's figure some 16 instructions an I/O (doc/bdev.md).

A benchmark, not a test: it prints figures and never fails on them.
"""

import argparse
import json
import os
import resource
import re
import statistics
import subprocess
import sys
import tempfile
import time


TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def save(plot_dir, name, text):
    """Keeps a run's JSON as @plot_dir/@name.json for scripts/plot.py (no @plot_dir: not kept)."""
    if plot_dir:
        with open(os.path.join(plot_dir, name + ".json"), "w") as f:
            f.write(text)


def plot(plot_dir, prefix, title, runs):
    """Draws @runs ([(label, name)], JSON saved by save()) as @plot_dir/@prefix-*.png."""
    cmd = [os.path.join(TOP, "scripts/plot.py"), "-o", os.path.join(plot_dir, prefix), "-t", title]
    for label, _ in runs:
        cmd += ["-l", label]
    cmd += [os.path.join(plot_dir, name + ".json") for _, name in runs]
    subprocess.run(cmd, check=True)


def run_fio(path, core, qd, seconds, plot_dir):
    """fio's io_uring engine on @path, one job on @core; returns IOPS. It writes
    a document a second (json+ has the latency bins): the last has the run."""
    out = subprocess.run(["fio", "--name=bench", f"--filename={path}", "--ioengine=io_uring",
                          "--rw=randread", "--bs=4k", f"--iodepth={qd}", f"--runtime={seconds}",
                          "--time_based", f"--cpus_allowed={core}", "--output-format=json+",
                          "--lat_percentiles=1", "--status-interval=1"],
                         capture_output=True, text=True, check=True)
    save(plot_dir, f"fio-qd{qd}", out.stdout)
    last = out.stdout[[m.start() for m in re.finditer(r'^\{', out.stdout, flags=re.M)][-1]:]
    return json.loads(last)["jobs"][0]["read"]["iops"]


def uring_vs_fio(bdevperf, core, seconds, plot_dir):
    """Prints usk_bdevperf on a uring bdev next to fio on the same /dev/shm file."""
    path = f"/dev/shm/usk-bdev-bench-{os.getpid()}"
    with open(path, "wb") as f:
        f.truncate(1 << 30)
    with open(path, "r+b") as f:
        for _ in range(1 << 10):
            f.write(os.urandom(1 << 20))
    config = path + ".json"
    with open(config, "w") as f:
        json.dump({"subsystems": [{"subsystem": "bdev", "config": [
            {"method": "bdev_uring_create",
             "params": {"name": "Uring0", "filename": path, "block_size": 4096}}]}]}, f)
    try:
        print(f"\nuring bdev vs fio --ioengine=io_uring, 1 GiB file in /dev/shm, 4 KiB randread\n")
        print(f"{'queue depth':>12} {'usk IOPS':>14} {'fio IOPS':>14} {'ratio':>8}")
        for qd in (128, 1):
            usk, _, _, _, _ = run_bdevperf(bdevperf, config, core, qd, seconds, plot_dir,
                                           f"uring-bdev-qd{qd}")
            fio = run_fio(path, core, qd, seconds, plot_dir)
            print(f"{qd:>12} {usk:>14,.0f} {fio:>14,.0f} {usk / fio:>7.2f}x")
            if plot_dir:
                plot(plot_dir, f"uring-qd{qd}", f"4 KiB randread, /dev/shm file, qd {qd}",
                     [("USK uring bdev", f"uring-bdev-qd{qd}"),
                      ("fio io_uring", f"fio-qd{qd}")])
    finally:
        os.unlink(path)
        os.unlink(config)


def run_bdevperf(bdevperf, config, core, qd, seconds, plot_dir=None, name=None):
    """Runs one job, its JSON kept as @name; returns (IOPS, I/Os, CPU seconds, wall
    seconds, peak RSS in KiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    histogram = ["--latency-histogram"] if plot_dir and name else []
    out = subprocess.run([bdevperf, "--json", config, "-m", f"[{core}]", "-q", str(qd),
                          "-o", "4k", "-w", "randread", "-t", str(seconds), "--json-output"]
                         + histogram, capture_output=True, text=True, check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = json.loads(out.stdout)
    save(plot_dir if name else None, name, out.stdout)
    return result["total"]["iops"], result["total"]["ios"], cpu, wall, after.ru_maxrss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builddir", default=os.path.join(os.path.dirname(__file__), "../build"))
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--no-uring", action="store_true", help="skip the uring bdev and fio")
    parser.add_argument("--plot", metavar="DIR",
                        help="keep each run's JSON in DIR and draw its figures there")
    args = parser.parse_args()
    bdevperf = os.path.join(args.builddir, "app/bdevperf/usk_bdevperf")
    if not os.path.exists(bdevperf):
        print(f"bdev_bench: {bdevperf} is not built (make -C {args.builddir})", file=sys.stderr)
        return 2
    if args.plot:
        os.makedirs(args.plot, exist_ok=True)
    core = min(os.sched_getaffinity(0))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"subsystems": [{"subsystem": "bdev", "config": [
            {"method": "bdev_null_create",
             "params": {"name": "Null0", "num_blocks": 1 << 21, "block_size": 4096}}]}]}, f)
        config = f.name
    try:
        print(f"usk_bdevperf on a null bdev, 4 KiB randread, core {core}, "
              f"{args.seconds} s per figure\n")
        print(f"{'queue depth':>12} {'IOPS':>14} {'CPU ns per I/O':>16} {'target':>10}")
        for qd in (128, 1):
            iops, ios, cpu, _, _ = run_bdevperf(bdevperf, config, core, qd, args.seconds,
                                                args.plot, f"null-qd{qd}")
            print(f"{qd:>12} {iops:>14,.0f} {cpu * 1e9 / ios:>16.1f} {'<= 33 ns':>10}")
        if args.plot:
            plot(args.plot, "null", "usk_bdevperf, null bdev, 4 KiB randread",
                 [("qd 128", "null-qd128"), ("qd 1", "null-qd1")])

        if not args.no_uring:
            uring_vs_fio(bdevperf, core, args.seconds, args.plot)

        walls, rss = [], 0
        for _ in range(5):
            _, _, _, wall, rss = run_bdevperf(bdevperf, config, core, 1, 1)
            walls.append(wall - 1.0)
        print(f"\nstart-up + shutdown (wall time of a 1 s run minus 1 s, median of 5): "
              f"{statistics.median(walls) * 1000:.0f} ms (target <= 35 ms)")
        print(f"peak memory (RSS, no hugepages): {rss / 1024:.1f} MiB (target <= 100 MB)")
    finally:
        os.unlink(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
