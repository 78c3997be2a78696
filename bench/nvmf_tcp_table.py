#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tables of bench/nvmf-tcp.sh and bench/nvmf-tcp-vm.sh from the output of
bench/nvmf-tcp-runs.sh on stdin: per queue depth and (target, initiator)
pair, the median over the rounds of IOPS, mean and p99 latency and CPU per
I/O, then the ratios the NVMe/TCP goals of issue 18 name. --no-machine
leaves out what is read from the whole machine's CPU (on a host shared
with other work it measures that work too)."""
import json
import re
import statistics
import sys

NAMES = {"usk": "usk_tgt", "kernel": "nvmet-tcp"}
INITS = {"usk": "usk_nvme_perf", "spdk": "spdk_nvme_perf", "kernel": "nvme-tcp+fio"}


def parse_usk(text):
    doc, _ = json.JSONDecoder().raw_decode(text[text.index("{"):])
    row = doc["results"][0]
    lat = row["latency_us"]
    return row["iops"], lat["avg"], lat["percentiles"]["99"]


def parse_spdk(text):
    total = re.search(r"^Total\s*:\s*([\d.]+)\s+[\d.]+\s+([\d.]+)", text, re.M)
    p99 = re.search(r"^\s*99\.00000%\s*:\s*([\d.]+)us", text, re.M)
    return float(total.group(1)), float(total.group(2)), float(p99.group(1))


def parse_fio(text):
    doc, _ = json.JSONDecoder().raw_decode(text[text.index("{"):])
    read = doc["jobs"][0]["read"]
    lat = read["lat_ns"]
    return read["iops"], lat["mean"] / 1e3, lat["percentile"]["99.000000"] / 1e3


PARSERS = {"usk": parse_usk, "spdk": parse_spdk, "kernel": parse_fio}


def read_runs(lines, failures):
    """Yields one dict per run that succeeded; appends the others, with
    their output, to failures."""
    run, body = None, []
    for line in lines:
        words = line.split()
        if line.startswith("NVMF-RUN "):
            run = {"tgt": words[1], "init": words[2], "qd": int(words[3]),
                   "load": float(words[5])}
            body = []
        elif line.startswith("NVMF-END "):
            try:
                if words[5] != "0":
                    raise ValueError(f"exit status {words[5]}")
                run["iops"], run["avg"], run["p99"] = PARSERS[run["init"]]("".join(body))
            except (ValueError, KeyError, AttributeError) as err:
                failures.append((run, str(err), "".join(body)))
                run = None
        elif line.startswith("NVMF-CPU ") and run is not None:
            run["machine"] = run["tgt_cpu"] = run["init_cpu"] = None
            if words[1] != "-":
                wall, hz = float(words[1]), float(words[2])
                ios = run["iops"] * wall

                def per_io(jiffies):
                    return None if jiffies == "-" else int(jiffies) / hz / ios * 1e6
                run["machine"], run["tgt_cpu"], run["init_cpu"] = map(per_io, words[3:6])
            yield run
            run = None
        elif run is not None:
            body.append(line)


def median(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def side_cpu(runs, own, other):
    """CPU per I/O of one side: its process when it is one (usk_tgt, a
    user-space initiator), else the machine less the other side's process
    (the kernel's threads and interrupts fall there)."""
    per_run = []
    for r in runs:
        if r["machine"] is None:
            continue
        if r[own] is not None and not (own == "init_cpu" and r["init"] == "kernel"):
            per_run.append(r[own])
        elif r[other] is not None and r["machine"] > r[other]:
            # Process times are exact, the machine's are counted per tick:
            # a difference below zero says only that the side spent little.
            per_run.append(r["machine"] - r[other])
    return statistics.median(per_run) if per_run else None


def fmt(value, spec):
    """value in the format spec ("9.2f"), or "-" as wide when there is none."""
    return format("-", ">" + spec.split(".")[0]) if value is None else format(value, spec)


def summarise(runs, machine):
    groups = {}
    for r in runs:
        groups.setdefault((r["qd"], r["tgt"], r["init"]), []).append(r)
    table = {}
    for (qd, tgt, init), rs in groups.items():
        row = {"n": len(rs), "iops": median(rs, "iops"), "min": min(r["iops"] for r in rs),
               "max": max(r["iops"] for r in rs), "avg": median(rs, "avg"),
               "p99": median(rs, "p99"), "machine": median(rs, "machine"),
               "load": (min(r["load"] for r in rs), max(r["load"] for r in rs)),
               "fio_cpu": median(rs, "init_cpu") if init == "kernel" else None}
        if machine:
            row["tgt_cpu"] = side_cpu(rs, "tgt_cpu", "init_cpu")
            row["init_cpu"] = side_cpu(rs, "init_cpu", "tgt_cpu")
        else:
            row["tgt_cpu"] = median(rs, "tgt_cpu")
            row["init_cpu"] = None if init == "kernel" else median(rs, "init_cpu")
        table[(qd, tgt, init)] = row
    return table


def print_table(table, machine):
    head = (f"{'qd':>3} {'target':<10} {'initiator':<15} {'IOPS':>9} {'(min..max)':>17} "
            f"{'avg us':>8} {'p99 us':>8} {'tgt us/IO':>9} {'init us/IO':>10} "
            f"{'init IOPS/core':>14}")
    if machine:
        head += f" {'machine us/IO':>13}"
    print(head + f" {'fio us/IO':>9} {'load avg':>11} {'runs':>4}")
    for key in sorted(table, key=lambda k: (-k[0], k[1] != "usk", k[2])):
        qd, tgt, init = key
        row = table[key]
        per_core = None if not row["init_cpu"] else 1e6 / row["init_cpu"]
        line = (f"{qd:>3} {NAMES[tgt]:<10} {INITS[init]:<15} {row['iops']:>9.0f} "
                f"{'(' + format(row['min'], '.0f') + '..' + format(row['max'], '.0f') + ')':>17} "
                f"{row['avg']:>8.1f} {row['p99']:>8.1f} {fmt(row['tgt_cpu'], '9.2f')} "
                f"{fmt(row['init_cpu'], '10.2f')} {fmt(per_core, '14.0f')}")
        if machine:
            line += f" {fmt(row['machine'], '13.2f')}"
        line += f" {fmt(row['fio_cpu'], '9.2f')} {row['load'][0]:>5.1f}-{row['load'][1]:<5.1f} {row['n']:>4}"
        print(line)


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def print_goals(table):
    for qd in sorted({k[0] for k in table}, reverse=True):
        get = table.get
        for tgt in ("usk", "kernel"):
            u, k, s = get((qd, tgt, "usk")), get((qd, tgt, "kernel")), get((qd, tgt, "spdk"))
            if u and k:
                u_core = u["init_cpu"] and 1e6 / u["init_cpu"]
                k_core = k["init_cpu"] and 1e6 / k["init_cpu"]
                print(f"qd {qd}, {NAMES[tgt]}: usk_nvme_perf / kernel initiator: IOPS "
                      f"{ratio(u['iops'], k['iops'])}, IOPS per initiator core "
                      f"{ratio(u_core, k_core)}{' (goal: 2x per core)' if qd == 32 else ''}")
            if u and s:
                print(f"qd {qd}, {NAMES[tgt]}: usk_nvme_perf / spdk_nvme_perf: IOPS "
                      f"{ratio(u['iops'], s['iops'])}, CPU per I/O {ratio(u['init_cpu'], s['init_cpu'])}")
        for init in ("usk", "kernel", "spdk"):
            u, k = get((qd, "usk", init)), get((qd, "kernel", init))
            if u and k:
                print(f"qd {qd}, {INITS[init]}: usk_tgt / nvmet-tcp: IOPS {ratio(u['iops'], k['iops'])}"
                      f"{' (goal: 1.5x)' if qd == 32 else ''}")


def main():
    machine = "--no-machine" not in sys.argv[1:]
    failures = []
    runs = list(read_runs(sys.stdin, failures))
    for run, why, output in failures:
        tail = "".join(output.splitlines(keepends=True)[-8:])
        print(f"failed: {NAMES[run['tgt']]} <- {INITS[run['init']]} qd {run['qd']} ({why}):\n{tail}")
    if runs:
        table = summarise(runs, machine)
        print_table(table, machine)
        print_goals(table)
    sys.exit(1 if failures or not runs else 0)


if __name__ == "__main__":
    main()
