#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: NVMe/TCP on this host over 127.0.0.1, no VM. usk_tgt (one
# reactor spinning on the first CPU, or sleeping when idle with
# TGT_IDLE=sleep; a 64 MiB malloc bdev of 4 KiB blocks)
# against usk_nvme_perf on the second CPU, 4 KiB random reads at queue
# depth 32 and 1, ROUNDS rounds of SECONDS each, the pairs alternating.
# References in the same run: spdk_nvme_perf against the same usk_tgt
# (SPDK_PERF=PATH, built as bench/vs-spdk.sh says), and, when this kernel
# has nvme-tcp, nvmet-tcp and null_blk, the kernel's initiator (fio
# io_uring) and target (null_blk) in every pairing (root; it loads them).
# Prints per pair the medians of IOPS, mean and p99 latency, CPU per I/O
# of each process (/proc/PID/stat from 1 s after the start to 1 s before
# the end), and the load average of the runs. Figures only: a run that
# fails is named under the table and makes the status 1, never a figure.
#
#   [BUILD=DIR] [SPDK_PERF=PATH] [TGT_IDLE=sleep] bench/nvmf-tcp.sh [SECONDS [ROUNDS]]
#   (defaults 6 and 5; NVMF_TCP_LOG=FILE keeps every run's own output)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in -h | --help)
	sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'
	exit 0 ;;
esac
seconds=${1:-6}
rounds=${2:-5}
build=${BUILD:-$top/build}
bin=$(mktemp -d)
out=$(mktemp)
trap 'rm -rf "$bin" "$out"' EXIT
for b in app/tgt/usk_tgt app/nvme_perf/usk_nvme_perf test/functional/tgt/rpc_call; do
	[ -x "$build/$b" ] || { echo "nvmf-tcp.sh: $build/$b is not built (make -C $build)" >&2; exit 1; }
	ln -s "$build/$b" "$bin/"
done
pairs="usk:usk"
if [ -n "${SPDK_PERF:-}" ]; then
	[ -x "$SPDK_PERF" ] || { echo "nvmf-tcp.sh: SPDK_PERF=$SPDK_PERF is not a program" >&2; exit 1; }
	ln -s "$SPDK_PERF" "$bin/spdk_nvme_perf"
	pairs+=" usk:spdk"
fi
kernel_has() { # module: loadable or built in
	modprobe -n "$1" 2>/dev/null || [ -d "/sys/module/${1//-/_}" ]
}
if kernel_has nvme-tcp && kernel_has nvmet-tcp && kernel_has null_blk && [ "$(id -u)" = 0 ]; then
	pairs+=" usk:kernel kernel:usk kernel:kernel"
	[ -z "${SPDK_PERF:-}" ] || pairs+=" kernel:spdk"
	kernel="with the kernel's nvme-tcp and nvmet-tcp (null_blk)"
else
	kernel="this kernel ($(uname -r)) has no nvme-tcp, nvmet-tcp or null_blk (or we are not root):"
	kernel+=" the kernel's NVMe/TCP is compared in bench/nvmf-tcp-vm.sh"
fi
read -r cpu0 cpu1 < <(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
[ -n "$cpu1" ] || { echo "nvmf-tcp.sh: needs two CPUs" >&2; exit 1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# A failed run is reported under the table (and makes the status 1), after the others.
BIN=$bin TGT_CORE=$cpu0 INIT_CORE=$cpu1 "$top/bench/nvmf-tcp-runs.sh" "$seconds" "$rounds" "32 1" "$pairs" \
	>"$out" || true
[ -z "${NVMF_TCP_LOG:-}" ] || cp "$out" "$NVMF_TCP_LOG"
echo "nvmf-tcp: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo |
	head -n 1)), usk_tgt on CPU $cpu0, initiators on CPU $cpu1, 127.0.0.1, 4 KiB randread," \
	"$rounds rounds x $seconds s; host load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after;" \
	"$kernel"
echo "nvmf-tcp: usk_tgt -m [$cpu0] $([ "${TGT_IDLE:-spin}" = spin ] && echo --no-idle-sleep || echo --idle-sleep), bdev_malloc_create 16384 x 4096 B;" \
	"usk_nvme_perf -r TRID -q QD -o 4096 -w randread -t $seconds -c [$cpu1] -L"
python3 "$top/bench/nvmf_tcp_table.py" --no-machine <"$out"
