#!/usr/bin/env bash
# Benchmark: how usk_nvme_perf scales from 1 core with 1 emulated controller
# to 2 cores with 2 (one queue pair per core per controller), in one boot
# of the VM lab, 4 KiB random reads at queue depth 32, runs alternating.
# Prints each pair and the median ratio. Not a test: figures only.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-8}
rounds=${2:-3}
case "$seconds" in -h | --help)
	echo "Usage: bench/scaling.sh [SECONDS_PER_RUN [ROUNDS]]   (default 8 3; needs build/ built)"
	exit 0 ;;
esac
perf=$top/build/app/nvme_perf/usk_nvme_perf
[ -x "$perf" ] || { echo "bench: build USK first (scripts/test.sh or make -C build)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$top/test/vm/vmlab.sh" --timeout 1200 -m 1536 --smp 2 -c ns=1G -c ns=1G -a "$perf" \
	"$top/bench/guest-scaling.sh" "$seconds" "$rounds" >"$out"
echo "bench: $(date -u +%Y-%m-%d), QEMU $(qemu-system-x86_64 --version | awk 'NR==1 {print $4}') TCG," \
	"2 vCPUs on $(nproc) host CPUs, two emulated SSDs, ${seconds} s per run"
python3 - "$out" <<'PY'
import json, statistics, sys

runs, label, text = {}, None, []
for line in open(sys.argv[1]):
    if line.startswith("USK-BENCH"):
        if label is not None and text:
            runs.setdefault(label, []).append(json.loads("".join(text))["total"]["iops"])
        label, text = line.split()[1], []
    elif label is not None:
        text.append(line)
one, two = runs.get("1core-1ctrl", []), runs.get("2core-2ctrl", [])
if not one or len(one) != len(two):
    sys.exit(f"scaling: runs missing: {runs}")
print(f"{'round':>6} {'1 core, 1 ctrl':>16} {'2 cores, 2 ctrls':>18} {'ratio':>7}")
for i, (a, b) in enumerate(zip(one, two), 1):
    print(f"{i:>6} {a:>16,.0f} {b:>18,.0f} {b / a:>6.2f}x")
print(f"median ratio {statistics.median(b / a for a, b in zip(one, two)):.2f}x")
PY
