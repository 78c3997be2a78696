#!/usr/bin/env python3
"""Turns the guest's benchmark output into the side-by-side table.

    vs_kernel_table.py [--save-runs DIR] < guest output

--save-runs DIR also writes each run's JSON to DIR/TOOL-WORKLOAD-qdN.json
(TOOL: usk, usk-mmio, fio, fio-hipri), for scripts/plot.py.
"""
import argparse
import json
import os
import re
import sys


def parse_runs(text):
    """Yields (tool, workload, qd, json document, cpu seconds) per run."""
    blocks = re.split(r"^USK-BENCH ", text, flags=re.M)[1:]
    for block in blocks:
        header, _, body = block.partition("\n")
        if header.strip() == "end":
            continue
        tool, workload, qd = header.split()
        cpu = re.search(r"^USK-CPU ([\d.]+) ([\d.]+)", body, flags=re.M)
        text = body[body.index("{"):body.rindex("}") + 1]
        yield tool, workload, int(qd), text, float(cpu.group(1)) + float(cpu.group(2))


def fio_figures(doc, workload):
    job = doc["jobs"][0]
    side = job["read" if "read" in workload else "write"]
    ios = side["total_ios"]
    clat = side["clat_ns"]
    p99 = clat.get("percentile", {}).get("99.000000", 0) / 1000.0
    return side["iops"], side["lat_ns"]["mean"] / 1000.0, p99, ios


def usk_figures(doc):
    total = doc["total"]
    p99 = doc["results"][0]["latency_us"]["percentiles"]["99"]
    return total["iops"], total["avg_latency_us"], p99, total["ios"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save-runs", metavar="DIR", help="write each run's JSON to DIR")
    args = parser.parse_args()
    rows = {}
    for tool, workload, qd, text, cpu in parse_runs(sys.stdin.read()):
        doc = json.loads(text)
        if args.save_runs:
            with open(os.path.join(args.save_runs, f"{tool}-{workload}-qd{qd}.json"), "w") as f:
                f.write(text + "\n")
        if tool.startswith("usk"):
            iops, avg, p99, ios = usk_figures(doc)
        else:
            iops, avg, p99, ios = fio_figures(doc, workload)
        rows.setdefault((workload, qd), {})[tool] = (iops, avg, p99, cpu * 1e6 / max(ios, 1))
    print("| workload | qd | driver | IOPS | avg lat (us) | p99 lat (us) | CPU us/IO | USK vs this |")
    print("|---|---|---|---|---|---|---|---|")
    failed = False
    for (workload, qd), tools in sorted(rows.items()):
        usk = tools.get("usk")
        for tool in ("fio", "fio-hipri", "usk-mmio", "usk"):
            if tool not in tools:
                failed = True
                continue
            iops, avg, p99, cpu = tools[tool]
            name = {"fio": "kernel nvme + fio io_uring",
                    "fio-hipri": "kernel nvme + fio io_uring hipri",
                    "usk-mmio": "USK usk_nvme_perf, MMIO doorbells",
                    "usk": "USK usk_nvme_perf, shadow doorbells"}[tool]
            ratio = "%.2fx" % (usk[0] / iops) if usk and tool != "usk" and iops else ""
            print("| %s 4 KiB | %d | %s | %.0f | %.1f | %.1f | %.1f | %s |"
                  % (workload, qd, name, iops, avg, p99, cpu, ratio))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
