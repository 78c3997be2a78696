#!/usr/bin/env bash
# Benchmark: usk_nvme_perf against fio with io_uring on the kernel's nvme
# driver, in one boot of the VM lab with the same emulated SSD, 4 KiB
# random reads and writes at queue depth 1 and 32 on one core. Prints a
# side-by-side table; exits 0 unless a run failed. Not a test: figures only.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-8}
case "$seconds" in -h | --help)
	echo "Usage: bench/vs-kernel.sh [SECONDS_PER_RUN]   (default 8; needs build/ built)"
	exit 0 ;;
esac
perf=$top/build/app/nvme_perf/usk_nvme_perf
[ -x "$perf" ] || { echo "bench: build USK first (scripts/test.sh or make -C build)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$top/test/vm/vmlab.sh" --timeout 900 -m 1536 -c ns=1G -a "$perf" -a "$(command -v fio)" \
	"$top/bench/guest-vs-kernel.sh" "$seconds" >"$out"
echo "bench: $(date -u +%Y-%m-%d), QEMU $(qemu-system-x86_64 --version | awk 'NR==1 {print $4}') TCG," \
	"2 vCPUs, guest kernel from Debian, one emulated SSD, ${seconds} s per run"
python3 "$top/bench/vs_kernel_table.py" <"$out"
