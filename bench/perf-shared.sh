#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# usk_nvme_perf linked statically (the installed tool) next to the same tool
# linked to libusk.so (bench/usk_nvme_perf_shared, the way the README tells
# embedders to link), in the VM lab: 4 KiB random reads, one core, queue
# depth 32, ROUNDS runs of each taken in turn so drift on a shared host falls
# on both alike. Prints each one's median and best IOPS and shared/static.
# Figures only: it fails when a run fails, never on a figure.
#
#   bench/perf-shared.sh [BUILDDIR] [SECONDS] [ROUNDS]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
seconds=${2:-5}
rounds=${3:-3}
static=$build/app/nvme_perf/usk_nvme_perf
shared=$build/bench/usk_nvme_perf_shared
for tool in "$static" "$shared"; do
	[ -x "$tool" ] || { echo "perf-shared.sh: $tool is not built (make -C $build)" >&2; exit 1; }
done

out=$("$top/test/vm/vmlab.sh" --timeout $((120 + 2 * rounds * (seconds + 5))) -c ns=1G:4096 \
	-a "$static" -a "$shared" "$top/bench/guest-perf-turns.sh" "$seconds" "$rounds" 32 \
	usk_nvme_perf usk_nvme_perf_shared)
printf '%s\n' "$out" | grep '^RESULT' || true
printf '%s\n' "$out" | python3 -c '
import statistics, sys
runs = {"usk_nvme_perf": [], "usk_nvme_perf_shared": []}
for line in sys.stdin:
    f = line.split()
    if len(f) == 4 and f[0] == "RESULT":
        runs[f[2]].append(float(f[3]))
n = len(runs["usk_nvme_perf"])
print(f"usk_nvme_perf -q 32 -o 4096 -w randread, one core, VM lab (QEMU TCG), {n} runs each")
print("%8s %12s %12s %14s" % ("", "static", "shared", "shared/static"))
# The best run is the one the host disturbed least: on a busy host it is the steadier figure.
for name, pick in (("median", statistics.median), ("best", max)):
    st, sh = pick(runs["usk_nvme_perf"]), pick(runs["usk_nvme_perf_shared"])
    print(f"{name:>8} {st:>12,.0f} {sh:>12,.0f} {sh / st:>14.3f}")
'
