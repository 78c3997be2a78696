#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: NVMe/TCP in one boot of the VM lab (2 vCPUs, 127.0.0.1), the
# kernel's against USK's on both sides: usk_tgt (one reactor on CPU 0,
# spinning, or sleeping when idle with TGT_IDLE=sleep; a 64 MiB malloc
# bdev) and nvmet-tcp (a null_blk device: no data behind it, completed in
# the submitter's context), each read by usk_nvme_perf and by the kernel's
# nvme-tcp with fio io_uring (one job), both on CPU 1; 4 KiB random reads
# at queue depth 32 (QDS to change), ROUNDS rounds of SECONDS each, the
# pairs alternating. Prints per pair the medians of IOPS, latency and CPU
# per I/O: of a process (/proc/PID/stat), or, for the kernel's side, of
# the whole guest (/proc/stat) less the other side's process; then the
# ratios of the goals (USK's initiator 2x the kernel's IOPS per core,
# usk_tgt 1.5x nvmet-tcp's IOPS). Figures only.
#
#   [BUILD=DIR] [QDS="32 1"] [TGT_IDLE=sleep] bench/nvmf-tcp-vm.sh [SECONDS [ROUNDS]]
#   (defaults 8 and 3; NVMF_TCP_LOG=FILE keeps every run's own output)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in -h | --help)
	sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'
	exit 0 ;;
esac
seconds=${1:-8}
rounds=${2:-3}
qds=${QDS:-32}
tgt_idle=${TGT_IDLE:-spin}
case $tgt_idle in spin) tgt_opt=--no-idle-sleep ;; sleep) tgt_opt=--idle-sleep ;;
*) echo "nvmf-tcp-vm.sh: TGT_IDLE is spin or sleep" >&2; exit 1 ;; esac
build=${BUILD:-$top/build}
adds=()
for b in app/tgt/usk_tgt app/nvme_perf/usk_nvme_perf test/functional/tgt/rpc_call; do
	[ -x "$build/$b" ] || { echo "nvmf-tcp-vm.sh: $build/$b is not built (make -C $build)" >&2; exit 1; }
	adds+=(-a "$build/$b")
done
for t in nvme fio; do
	command -v $t >/dev/null || { echo "nvmf-tcp-vm.sh: no $t here (scripts/pkgdep.sh installs it)" >&2; exit 1; }
	adds+=(-a "$(command -v $t)")
done
adds+=(-a "$top/bench/nvmf-tcp-runs.sh")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
nruns=$((4 * rounds * $(wc -w <<<"$qds")))
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$top/test/vm/vmlab.sh" --timeout $((300 + nruns * (seconds + 30))) -m 1536 \
	--module nvme-tcp --module nvmet --module nvmet-tcp --module null_blk "${adds[@]}" \
	"$top/bench/guest-nvmf-tcp.sh" "$seconds" "$rounds" "$qds" "$tgt_idle" >"$out" || {
	rc=$?
	cat "$out"
	echo "nvmf-tcp-vm.sh: the guest failed (status $rc); its output is above" >&2
	exit 1
}
[ -z "${NVMF_TCP_LOG:-}" ] || cp "$out" "$NVMF_TCP_LOG"
echo "nvmf-tcp-vm: $(date -u '+%Y-%m-%d %H:%M UTC'), QEMU $(qemu-system-x86_64 --version |
	awk 'NR==1 {print $4}') TCG, 2 vCPUs on $(nproc) host CPUs, guest kernel $(sed -n 's/^USK-KERNEL //p' "$out"),"\
	"127.0.0.1, 4 KiB randread, $rounds rounds x $seconds s;" \
	"host load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (the load column is the guest's)"
echo "nvmf-tcp-vm: usk_tgt -m [0] $tgt_opt, malloc 16384 x 4096 B; nvmet-tcp on null_blk" \
	"(gb=1 bs=4096 irqmode=0); usk_nvme_perf -c [1] -L; fio --ioengine=io_uring --direct=1" \
	"--numjobs=1 --thread --cpus_allowed=1"
python3 "$top/bench/nvmf_tcp_table.py" <"$out"
