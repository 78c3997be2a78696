#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench/vs-spdk.sh's table: reads the guest's output (bench/guest-vs-spdk.sh)
on stdin and prints, per queue depth, each tool's IOPS, latency and doorbell
writes per I/O, and USK/SPDK. Usage: vs_spdk_table.py SECONDS_PER_RUN"""
import statistics
import sys

NAMES = {"usk": "USK", "spdk": "SPDK"}
# The counters of --transport-stats under each tool's names.
COUNTERS = {
    "polls:": "polls", "completions:": "completions",
    "sq_mmio_doorbells:": "sq_mmio", "sq_mmio_doorbell_updates:": "sq_mmio",
    "cq_mmio_doorbells:": "cq_mmio", "cq_mmio_doorbell_updates:": "cq_mmio",
    "sq_shadow_updates:": "sq_shadow", "sq_shadow_doorbell_updates:": "sq_shadow",
    "cq_shadow_updates:": "cq_shadow", "cq_shadow_doorbell_updates:": "cq_shadow",
}


def parse(lines):
    """Returns {(tool, qd): [run, ...]} in run order; a run is a dict."""
    runs, cur = {}, None
    for line in lines:
        f = line.split()
        if not f:
            continue
        if f[0] == "USK-BENCH" and len(f) == 3:
            cur = {"tool": f[1], "qd": int(f[2])}
        elif f[0] == "USK-BENCH-END" and cur is not None:
            if f[3] != "0":
                sys.exit(f"vs-spdk: {f[1]} at qd {f[2]} exited {f[3]}")
            cur["wall"] = float(f[5]) - float(f[4])
            if "iops" not in cur:
                sys.exit(f"vs-spdk: {f[1]} at qd {f[2]} printed no Total line")
            runs.setdefault((cur["tool"], cur["qd"]), []).append(cur)
            cur = None
        elif cur is not None and f[0] == "Total" and ":" in line:
            # "Total : IOPS MiB/s Average min max", the same in both tools.
            v = line.split(":", 1)[1].split()
            cur["iops"], cur["lat"] = float(v[0]), float(v[2])
        elif cur is not None and f[0] in COUNTERS and len(f) == 2:
            key = COUNTERS[f[0]]
            cur[key] = cur.get(key, 0) + int(f[1])
    return runs


def per_io(runs, key):
    """A counter over completions, summed over the runs; '-' when not printed."""
    done = sum(r.get("completions", 0) for r in runs)
    if done == 0 or not all(key in r for r in runs):
        return "-"
    return f"{sum(r[key] for r in runs) / done:.3f}"


def main():
    seconds = float(sys.argv[1])
    runs = parse(sys.stdin)
    hdr = ("qd", "tool", "median IOPS", "best IOPS", "avg lat us", "SQ MMIO/IO",
           "CQ MMIO/IO", "SQ shadow/IO", "polls/IO")
    fmt = "%3s %-9s %12s %10s %11s %11s %11s %13s %9s"
    print(fmt % hdr)
    for qd in sorted({q for _, q in runs}, reverse=True):
        u, s = runs.get(("usk", qd), []), runs.get(("spdk", qd), [])
        if not u or len(u) != len(s):
            sys.exit(f"vs-spdk: runs missing at qd {qd}: {len(u)} USK, {len(s)} SPDK")
        for tool, rs in (("usk", u), ("spdk", s)):
            iops = [r["iops"] for r in rs]
            print(fmt % (qd, NAMES[tool], f"{statistics.median(iops):,.0f}",
                         f"{max(iops):,.0f}",
                         f"{statistics.median(r['lat'] for r in rs):.1f}",
                         per_io(rs, "sq_mmio"), per_io(rs, "cq_mmio"),
                         per_io(rs, "sq_shadow"), per_io(rs, "polls")))
        ui, si = [r["iops"] for r in u], [r["iops"] for r in s]
        pairs = [a / b for a, b in zip(ui, si)]
        print(fmt % (qd, "USK/SPDK", f"{statistics.median(ui) / statistics.median(si):.3f}x",
                     f"{max(ui) / max(si):.3f}x", "", "", "", "", ""))
        # Pooled: all of USK's I/Os over all of SPDK's; pairwise: the runs of one round.
        print(f"    pooled {sum(ui) / sum(si):.3f}x, median pairwise "
              f"{statistics.median(pairs):.3f}x; rounds: "
              + " ".join(f"{p:.2f}" for p in pairs))
        short = [r for r in u + s if r["wall"] < 0.95 * seconds]
        if short:
            print(f"    warning: {len(short)} runs took less wall time than -t {seconds:g}: "
                  "a tool's clock is off")


main()
