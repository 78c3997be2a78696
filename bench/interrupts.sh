#!/usr/bin/env bash
# Benchmark: usk_nvme_perf polling, adaptive (--adaptive) and interrupt-driven
# (--interrupts) next to the kernel's nvme driver with fio io_uring (interrupts),
# in one boot of the VM lab on one emulated SSD: 4 KiB random reads at queue
# depth 1, 32, and at a fixed 1,000 IOPS. Prints IOPS, average and p99
# latency and CPU per I/O side by side, after what bench/nvme_irq_cost
# measures of the two ways to quiet a vector (mask per switch, or leave it
# enabled while polling); then polling, adaptive and adaptive masking its
# vector at each wake-up at qd 32 taking turns, each turn's ratios and
# their medians. Not a test: figures only, never asserted.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-5}
turns=${2:-5}
case "$seconds" in -h | --help)
	echo "Usage: [BUILD=DIR] bench/interrupts.sh [SECONDS_PER_RUN] [TURNS]" \
		"  (defaults 5 and 5; DIR a release build, default build/;" \
		"TURNS: turns of polling and the two adaptive runs at qd 32)"
	exit 0 ;;
esac
build=${BUILD:-$top/build}
perf=$build/app/nvme_perf/usk_nvme_perf
cost=$build/bench/nvme_irq_cost
for b in "$perf" "$cost"; do
	[ -x "$b" ] || { echo "bench: build USK first (make -C build; $b is missing)" >&2; exit 1; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$top/test/vm/vmlab.sh" --timeout 1200 -m 1536 -c ns=1G -a "$perf" -a "$cost" \
	-a "$(command -v fio)" "$top/bench/guest-interrupts.sh" "$seconds" "$turns" >"$out"
echo "bench: $(date -u '+%Y-%m-%d %H:%M UTC'), QEMU $(qemu-system-x86_64 --version |
	awk 'NR==1 {print $4}') TCG, 2 vCPUs, one emulated SSD, ${seconds} s per run," \
	"host load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
sed -n 's/^USK-COST //p' "$out"
python3 "$top/bench/interrupts_table.py" <"$out"
