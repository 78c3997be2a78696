#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# /usr/bin/python3, not the first python3 on PATH: matplotlib comes from Debian's
# python3-matplotlib (scripts/pkgdep.sh), which only the system interpreter sees.
"""Draws the results of usk_nvme_perf, usk_bdevperf and fio as figures.

Reads the JSON of usk_nvme_perf --json (-L: percentiles, -LL: the whole
histogram), usk_bdevperf --json-output (--latency-histogram: the whole
histogram; each second's IOPS always), or fio --output-format=json or json+
(json+ has the whole histogram; with --status-interval=1 fio writes a
document a second, which gives IOPS over time), one run a file, and writes:

  PREFIX-latency.FORMAT  I/O latency (log axis) against percentile on a
                         "nines" axis (90, 99, 99.9 ... equally spaced),
                         one curve a run, overlaid; fio's is its total
                         latency (lat_ns) with --lat_percentiles=1, else its
                         completion latency (clat_ns, no submission time)
  PREFIX-iops.FORMAT     IOPS each second, one line a run (only for runs that
                         have it: usk_bdevperf, fio with --status-interval)

Runs are labelled with their file names, or with --label (once a file, in
order). Exit status: 0 when the figures are written, 2 for bad input (a
file that is none of the three kinds), 1 when matplotlib is missing.
"""

import argparse
import json
import math
import os
import sys


class InputError(Exception):
    """A file that cannot be read as one of the three kinds of results."""


class Run:
    """One file's figures: latency curves and IOPS over time."""

    def __init__(self, label, kind):
        self.label = label
        self.kind = kind
        self.curves = []  # (label, [(percentile, latency_us)])
        self.iops = []  # (second, IOPS)


# Percentile curves: from a histogram's buckets, or from listed percentiles.

def curve_from_buckets(buckets):
    """[(upper_us, count)] -> [(percentile, latency_us)], a point a bucket.

    A bucket's point sits at its upper end and at the share of values up to
    its last value less half a value, so the largest is drawn short of 100%
    (which a nines axis cannot show) by an amount that grows with fewer
    samples, as a rank estimate should.
    """
    total = sum(count for _, count in buckets)
    points, seen = [], 0
    for upper, count in sorted(buckets):
        if count <= 0:
            continue
        seen += count
        points.append((100.0 * (seen - 0.5) / total, upper))
    return points


def curve_from_percentiles(percentiles):
    """{"99.9": us} -> [(99.9, us)], sorted, 100% and empty values left out."""
    points = []
    for key, value in percentiles.items():
        pct = float(key)
        if pct < 100.0 and value > 0:
            points.append((pct, float(value)))
    return sorted(points)


def merge_buckets(lists):
    """Adds up bucket lists [(upper_us, count)] bucket by bucket."""
    merged = {}
    for buckets in lists:
        for upper, count in buckets:
            merged[upper] = merged.get(upper, 0) + count
    return sorted(merged.items())


# The three kinds of input.

def is_nvme_perf(doc):
    return isinstance(doc.get("workload"), dict) and "results" in doc and "total" in doc


def is_bdevperf(doc):
    return isinstance(doc.get("workload"), str) and isinstance(doc.get("jobs"), list)


def is_fio(doc):
    return "fio version" in doc and isinstance(doc.get("jobs"), list)


def usk_curves(run, entries, name_of):
    """Curves of usk_nvme_perf results or usk_bdevperf jobs: one merged
    curve when every entry has buckets, else a curve per entry's percentiles."""
    lats = [entry.get("latency_us") or {} for entry in entries]
    if lats and all(lat.get("buckets") for lat in lats):
        buckets = merge_buckets([[(b[1], b[2]) for b in lat["buckets"]] for lat in lats])
        run.curves.append((run.label, curve_from_buckets(buckets)))
        return
    for entry, lat in zip(entries, lats):
        points = curve_from_percentiles(lat.get("percentiles") or {})
        if points:
            label = run.label if len(entries) == 1 else f"{run.label} {name_of(entry)}"
            run.curves.append((label, points))


def read_nvme_perf(run, doc):
    usk_curves(run, doc["results"], lambda r: f"core {r.get('core')}")


def read_bdevperf(run, doc):
    usk_curves(run, doc["jobs"], lambda j: f"{j.get('bdev')} core {j.get('core')}")
    run.iops = [(s["second"], s["iops"]) for s in doc.get("progress", [])]


FIO_DIRECTIONS = ("read", "write", "trim")


def fio_ios(job):
    return sum(job.get(d, {}).get("total_ios", 0) for d in FIO_DIRECTIONS)


def fio_latency(side):
    """A direction's total latency (lat_ns: submission and completion, what
    usk_nvme_perf and usk_bdevperf measure) when fio ran with
    --lat_percentiles=1, else its completion latency (clat_ns)."""
    lat = side.get("lat_ns", {})
    return lat if "bins" in lat or "percentile" in lat else side.get("clat_ns", {})


def fio_direction_curve(jobs, direction):
    """A direction's latency over every job: bins (json+) or percentiles."""
    clats = [fio_latency(job[direction]) for job in jobs
             if job.get(direction, {}).get("total_ios", 0) > 0]
    if not clats:
        return []
    if all(clat.get("bins") for clat in clats):
        return curve_from_buckets(merge_buckets(
            [[(int(ns) / 1000.0, count) for ns, count in clat["bins"].items()]
             for clat in clats]))
    pcts = {k: v / 1000.0 for k, v in clats[0].get("percentile", {}).items()}
    return curve_from_percentiles(pcts)


def read_fio(run, docs):
    """fio's last document has the whole run; earlier ones (--status-interval) the
    totals so far, whose differences give IOPS over each interval."""
    jobs = docs[-1]["jobs"]
    curves = [(d, fio_direction_curve(jobs, d)) for d in FIO_DIRECTIONS]
    curves = [(d, points) for d, points in curves if points]
    for direction, points in curves:
        run.curves.append((run.label if len(curves) == 1 else f"{run.label} {direction}",
                           points))
    last_ios, last_ms = 0, 0
    for doc in docs if len(docs) > 1 else []:
        ios = sum(fio_ios(job) for job in doc["jobs"])
        ms = max(job.get("job_runtime", 0) for job in doc["jobs"])
        if ms > last_ms:
            run.iops.append((ms / 1000.0, (ios - last_ios) * 1000.0 / (ms - last_ms)))
        last_ios, last_ms = ios, ms


def json_documents(text):
    """Every JSON document in @text, one after another (fio --status-interval)."""
    decoder, docs, pos = json.JSONDecoder(), [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return docs
        doc, pos = decoder.raw_decode(text, pos)
        docs.append(doc)


KINDS = ("expected usk_nvme_perf --json, usk_bdevperf --json-output, "
         "or fio --output-format=json / json+")


NEEDS = "usk_nvme_perf needs -L or -LL, usk_bdevperf --latency-histogram"


def read_run(path, label):
    try:
        with open(path, encoding="utf-8") as f:
            docs = json_documents(f.read())
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from e
    except ValueError as e:
        raise InputError(f"{path}: not JSON ({e}); {KINDS}") from e
    if not docs or not all(isinstance(d, dict) for d in docs):
        raise InputError(f"{path}: no JSON object; {KINDS}")
    if all(is_fio(d) for d in docs):
        run = Run(label, "fio")
        read_fio(run, docs)
    elif len(docs) == 1 and is_bdevperf(docs[0]):
        run = Run(label, "usk_bdevperf")
        read_bdevperf(run, docs[0])
    elif len(docs) == 1 and is_nvme_perf(docs[0]):
        run = Run(label, "usk_nvme_perf")
        read_nvme_perf(run, docs[0])
    else:
        raise InputError(f"{path}: not results of a known tool; {KINDS}")
    if not run.curves and not run.iops:
        raise InputError(f"{path}: {run.kind} results without latency percentiles or "
                         f"progress ({NEEDS})")
    return run


# Figures.

def nines(percentile):
    """90 -> 1, 99 -> 2, 99.9 -> 3: how many nines, on a continuous scale."""
    return -math.log10(1.0 - percentile / 100.0)


def nines_label(count):
    """0 -> "0", 1 -> "90", 3 -> "99.9": the percentile with @count nines."""
    return f"{100 - 10 ** (2 - count):.{max(count - 2, 0)}f}" if count else "0"


def draw_latency(plt, runs, args):
    fig, ax = plt.subplots(figsize=args.size)
    top = 1.0
    for run in runs:
        for label, points in run.curves:
            xs = [nines(p) for p, _ in points]
            ax.plot(xs, [us for _, us in points], label=label)
            top = max([top] + xs)
    ticks = range(math.ceil(top) + 1)
    ax.set_xticks(list(ticks))
    ax.set_xticklabels([nines_label(n) for n in ticks])
    ax.set_xlim(0, math.ceil(top))
    ax.set_yscale("log")
    ax.set_xlabel("percentile")
    ax.set_ylabel("I/O latency (µs, log)")
    ax.set_title(args.title or "Latency by percentile")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def draw_iops(plt, runs, args):
    fig, ax = plt.subplots(figsize=args.size)
    for run in runs:
        if run.iops:
            ax.plot([t for t, _ in run.iops], [v for _, v in run.iops], marker=".",
                    label=run.label)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("IOPS")
    ax.set_ylim(bottom=0)
    ax.set_title(args.title or "IOPS each second")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def save(plt, fig, prefix, name, args):
    written = []
    for fmt in args.format:
        path = f"{prefix}-{name}.{fmt}"
        fig.tight_layout()
        fig.savefig(path, dpi=args.dpi)
        written.append(path)
    plt.close(fig)
    return written


# Command line.

def size_arg(text):
    try:
        width, height = (float(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected WIDTHxHEIGHT in inches, e.g. 6x4")
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"'{text}': width and height must be positive")
    return (width, height)


def formats_arg(text):
    formats = text.lower().split(",")
    bad = [f for f in formats if f not in ("png", "svg")]
    if bad:
        raise argparse.ArgumentTypeError(f"'{','.join(bad)}': formats are png and svg")
    return formats


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="plot.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: scripts/plot.py -o doc/img/randread-qd32 --label USK --label kernel "
               "usk.json fio.json")
    parser.add_argument("files", nargs="+", metavar="FILE", help="a run's JSON")
    parser.add_argument("-o", "--output", metavar="PREFIX",
                        help="where the figures go: PREFIX-latency.png and PREFIX-iops.png "
                             "(default: the first FILE without .json)")
    parser.add_argument("-l", "--label", action="append", default=[], metavar="TEXT",
                        help="a run's name in the legend, once a FILE in order "
                             "(default: the file's name without .json)")
    parser.add_argument("-f", "--format", type=formats_arg, default=["png"], metavar="FMT",
                        help="png, svg or png,svg (default png)")
    parser.add_argument("-t", "--title", help="the figures' title")
    parser.add_argument("--dpi", type=int, default=80, help="dots an inch of a PNG (default 80)")
    parser.add_argument("--size", type=size_arg, default=(6.4, 4.0), metavar="WxH",
                        help="figure size in inches (default 6.4x4)")
    args = parser.parse_args(argv)
    if len(args.label) > len(args.files):
        parser.error(f"{len(args.label)} labels for {len(args.files)} files")
    if args.dpi <= 0:
        parser.error("--dpi must be positive")
    return args


def stem(path):
    base = os.path.basename(path)
    return base[:-5] if base.endswith(".json") else base


def main(argv):
    args = parse_args(argv)
    labels = args.label + [stem(p) for p in args.files[len(args.label):]]
    try:
        runs = [read_run(path, label) for path, label in zip(args.files, labels)]
    except InputError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        # SVG text stays text: smaller files, and labels one can search for.
        matplotlib.rcParams["svg.fonttype"] = "none"
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot.py: needs matplotlib: apt-get install python3-matplotlib "
              "(or scripts/pkgdep.sh)", file=sys.stderr)
        return 1
    prefix = args.output or os.path.splitext(args.files[0])[0]
    written = []
    if any(run.curves for run in runs):
        written += save(plt, draw_latency(plt, runs, args), prefix, "latency", args)
    else:
        print(f"plot.py: no run has latency percentiles ({NEEDS}): no latency figure",
              file=sys.stderr)
    if any(run.iops for run in runs):
        written += save(plt, draw_iops(plt, runs, args), prefix, "iops", args)
    else:
        print("plot.py: no run has IOPS over time (usk_bdevperf, or fio with "
              "--status-interval=1, have it): no iops figure", file=sys.stderr)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
