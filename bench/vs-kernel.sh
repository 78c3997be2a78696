#!/usr/bin/env bash
# Benchmark: usk_nvme_perf against fio with io_uring on the kernel's nvme
# driver, in one boot of the VM lab with the same emulated SSD, 4 KiB
# random reads and writes at queue depth 1 and 32 on one core. Prints a
# side-by-side table; exits 0 unless a run failed. Not a test: figures only.
# With --plot DIR, each run's JSON and a latency figure per workload and
# queue depth (every driver's curve, by scripts/plot.py) go to DIR.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
usage() {
	echo "Usage: bench/vs-kernel.sh [--plot DIR] [SECONDS_PER_RUN]   (default 8; needs build/ built)"
	echo "  --plot DIR  write each run's JSON and DIR/WORKLOAD-qdN-latency.png there"
}
plot_dir=""
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--plot) [ $# -ge 2 ] || { usage >&2; exit 2; }; plot_dir=$2; shift 2 ;;
	*) break ;;
	esac
done
seconds=${1:-8}
perf=$top/build/app/nvme_perf/usk_nvme_perf
[ -x "$perf" ] || { echo "bench: build USK first (scripts/test.sh or make -C build)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$top/test/vm/vmlab.sh" --timeout 900 -m 1536 -c ns=1G -a "$perf" -a "$(command -v fio)" \
	"$top/bench/guest-vs-kernel.sh" "$seconds" >"$out"
echo "bench: $(date -u +%Y-%m-%d), QEMU $(qemu-system-x86_64 --version | awk 'NR==1 {print $4}') TCG," \
	"2 vCPUs, guest kernel from Debian, one emulated SSD, ${seconds} s per run"
if [ -z "$plot_dir" ]; then
	python3 "$top/bench/vs_kernel_table.py" <"$out"
	exit
fi
mkdir -p "$plot_dir"
rc=0
python3 "$top/bench/vs_kernel_table.py" --save-runs "$plot_dir" <"$out" || rc=$?
for w in randread randwrite; do
	for qd in 1 32; do
		"$top/scripts/plot.py" -o "$plot_dir/$w-qd$qd" -t "4 KiB $w, queue depth $qd" \
			-l "USK, shadow doorbells" -l "USK, MMIO doorbells" \
			-l "kernel + fio io_uring" -l "kernel + fio io_uring hipri" \
			"$plot_dir/usk-$w-qd$qd.json" "$plot_dir/usk-mmio-$w-qd$qd.json" \
			"$plot_dir/fio-$w-qd$qd.json" "$plot_dir/fio-hipri-$w-qd$qd.json" || rc=1
	done
done
exit $rc
