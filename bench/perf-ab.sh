#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two builds of usk_nvme_perf, A and B, in one boot of the VM lab, on the
# same emulated SSD: 4 KiB random reads on one core at each queue depth
# given, ROUNDS runs of each in turn (each first in every other round, so
# drift through the boot falls on both alike). Prints per queue depth each
# build's median IOPS, B/A of the medians, the median of the rounds' B/A
# and every round's B/A. For telling whether a change made the tool faster
# or slower in the lab, where single runs move by a third. Figures only: it
# fails when a run fails, never on a figure.
#
#   bench/perf-ab.sh A_PERF B_PERF [SECONDS [ROUNDS [QUEUE_DEPTHS]]]
#   (defaults: 4 s, 8 rounds, "1 32"; A_PERF and B_PERF are the paths of two
#   usk_nvme_perf binaries, e.g. old/build/app/nvme_perf/usk_nvme_perf)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in -h | --help | "")
	sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'
	if [ -n "${1:-}" ]; then exit 0; else exit 2; fi ;;
esac
a=$1
b=${2:-}
seconds=${3:-4}
rounds=${4:-8}
depths=${5:-1 32}
for tool in "$a" "$b"; do
	if [ -z "$tool" ] || [ ! -x "$tool" ]; then
		echo "perf-ab.sh: '$tool' is not an executable usk_nvme_perf" >&2
		exit 2
	fi
done
[[ $seconds =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ && $depths =~ ^[0-9\ ]+$ ]] || {
	echo "perf-ab.sh: SECONDS and ROUNDS are positive integers, QUEUE_DEPTHS numbers" >&2
	exit 2
}

runs=$((2 * rounds * $(wc -w <<<"$depths")))
out=$("$top/test/vm/vmlab.sh" --timeout $((120 + runs * (seconds + 5))) -c ns=1G:4096 \
	-a "$a=/usk/bin/usk_nvme_perf_a" -a "$b=/usk/bin/usk_nvme_perf_b" \
	"$top/bench/guest-perf-turns.sh" "$seconds" "$rounds" "$depths" \
	usk_nvme_perf_a usk_nvme_perf_b)
echo "perf-ab: $(date -u '+%Y-%m-%d %H:%M') UTC, usk_nvme_perf -o 4096 -w randread -t $seconds -c 0x1," \
	"$rounds rounds; host load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "A: $a"
echo "B: $b"
printf '%s\n' "$out" | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    f = line.split()
    if len(f) == 4 and f[0] == "RESULT":
        runs.setdefault(int(f[1]), {"a": [], "b": []})[f[2][-1]].append(float(f[3]))
print("%4s %12s %12s %10s %12s  %s" % ("qd", "A median", "B median", "B/A", "median pair", "each round B/A"))
for qd, r in runs.items():
    a, b = r["a"], r["b"]
    pairs = [y / x for x, y in zip(a, b)]
    print("%4d %12s %12s %10.3f %12.3f  %s" % (qd, f"{statistics.median(a):,.0f}",
          f"{statistics.median(b):,.0f}", statistics.median(b) / statistics.median(a),
          statistics.median(pairs), " ".join(f"{p:.2f}" for p in pairs)))
'
