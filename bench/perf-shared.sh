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

guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<'GUEST'
#!/bin/bash
# Each run prints "RESULT <build> <IOPS>", its JSON total's iops.
HUGEMEM=256 /usk/scripts/setup.sh config >/dev/null || exit 1
seconds=$1 rounds=$2
# Each goes first in every other round, so neither always runs on a warmer device.
for ((i = 0; i < rounds; i++)); do
	order="usk_nvme_perf usk_nvme_perf_shared"
	((i % 2 == 0)) || order="usk_nvme_perf_shared usk_nvme_perf"
	for tool in $order; do
		out=$(/usk/bin/$tool -q 32 -o 4096 -w randread -t "$seconds" -c 0x1 --json) || exit 1
		iops=$(printf '%s\n' "$out" | tr -d ' \n' | sed 's/.*"total":{[^}]*"iops":\([0-9.e+]*\).*/\1/')
		echo "RESULT $tool $iops"
	done
done
GUEST

out=$("$top/test/vm/vmlab.sh" --timeout $((120 + 2 * rounds * (seconds + 5))) -c ns=1G:4096 \
	-a "$static" -a "$shared" "$guest" "$seconds" "$rounds")
printf '%s\n' "$out" | grep '^RESULT' || true
printf '%s\n' "$out" | python3 -c '
import statistics, sys
runs = {"usk_nvme_perf": [], "usk_nvme_perf_shared": []}
for line in sys.stdin:
    f = line.split()
    if len(f) == 3 and f[0] == "RESULT":
        runs[f[1]].append(float(f[2]))
n = len(runs["usk_nvme_perf"])
print(f"usk_nvme_perf -q 32 -o 4096 -w randread, one core, VM lab (QEMU TCG), {n} runs each")
print("%8s %12s %12s %14s" % ("", "static", "shared", "shared/static"))
# The best run is the one the host disturbed least: on a busy host it is the steadier figure.
for name, pick in (("median", statistics.median), ("best", max)):
    st, sh = pick(runs["usk_nvme_perf"]), pick(runs["usk_nvme_perf_shared"])
    print(f"{name:>8} {st:>12,.0f} {sh:>12,.0f} {sh / st:>14.3f}")
'
