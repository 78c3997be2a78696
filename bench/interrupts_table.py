#!/usr/bin/env python3
"""bench/interrupts.sh's table: USK's wait modes next to the kernel's driver."""
import json
import os
import statistics
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


def print_turns(turns):
    """Turns of polling and adaptive (vector kept, and masked at each wake): IOPS and ratios."""
    polls = turns.get("usk-poll", [])
    kinds = ("usk-adaptive", "usk-adaptive-masking")
    ratios = {kind: [] for kind in kinds}
    print()
    print("| qd 32 turn | polling IOPS | adaptive IOPS (/ polling, CPU us/IO) "
          "| adaptive, masking at each switch (/ polling, CPU us/IO) |")
    print("|---|---|---|---|")
    for i, poll in enumerate(polls):
        cells = []
        for kind in kinds:
            runs = turns.get(kind, [])
            if i < len(runs):
                ratios[kind].append(runs[i][0] / poll[0])
                cells.append(f"{runs[i][0]:.0f} ({ratios[kind][-1]:.3f}, {runs[i][3]:.2f})")
            else:
                cells.append("-")
        print(f"| {i + 1} | {poll[0]:.0f} | {cells[0]} | {cells[1]} |")
    for kind in kinds:
        if ratios[kind]:
            pooled = sum(r[0] for r in turns[kind]) / sum(p[0] for p in polls[:len(ratios[kind])])
            print(f"{kind} / usk-poll over {len(ratios[kind])} turns: median "
                  f"{statistics.median(ratios[kind]):.3f}, pooled {pooled:.3f}")


def main():
    rows, turns = {}, {}
    for tool, workload, qd, text, _ in parse_runs(sys.stdin.read()):
        doc = json.loads(text)
        figures = usk_figures(doc) if tool.startswith("usk") else fio_figures(doc, workload)
        iops, avg, p99, ios = figures
        if workload.endswith("-turn"):
            turns.setdefault(tool, []).append((iops, avg, p99, cpu_per_io(tool, doc, ios)))
            continue
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
    print_turns(turns)


if __name__ == "__main__":
    main()
