#!/usr/bin/env python3
"""bench/interrupts.sh's table: USK's wait modes next to the kernel's driver."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vs_kernel_table import fio_figures, parse_runs, usk_figures  # noqa: E402

ORDER = ("usk-poll", "usk-adaptive", "usk-interrupts", "fio")


def cpu_per_io(tool, doc, ios):
    """CPU time of the measured part per I/O, in microseconds."""
    if tool.startswith("usk"):
        return doc["total"]["cpu_us_per_io"]
    job = doc["jobs"][0]
    busy = (job["usr_cpu"] + job["sys_cpu"]) / 100.0 * job["job_runtime"] * 1000.0
    return busy / max(ios, 1)


def main():
    rows = {}
    for tool, workload, qd, text, _ in parse_runs(sys.stdin.read()):
        doc = json.loads(text)
        figures = usk_figures(doc) if tool.startswith("usk") else fio_figures(doc, workload)
        iops, avg, p99, ios = figures
        rows.setdefault((workload, qd), {})[tool] = (iops, avg, p99, cpu_per_io(tool, doc, ios))
    print("| workload | qd | driver, mode | IOPS | avg lat (us) | p99 lat (us) | CPU us/IO |")
    print("|---|---|---|---|---|---|---|")
    for (workload, qd), tools in sorted(rows.items()):
        for tool in ORDER:
            if tool in tools:
                iops, avg, p99, cpu = tools[tool]
                name = "kernel nvme, fio io_uring" if tool == "fio" else tool
                print(f"| {workload} | {qd} | {name} | {iops:.0f} | {avg:.1f} | {p99:.1f} | "
                      f"{cpu:.2f} |")


if __name__ == "__main__":
    main()
