#!/bin/bash
# Guest half of bench/vs-spdk.sh: usk_nvme_perf and spdk_nvme_perf on the
# same controller, 4 KiB random reads on one core at queue depth 32 and 1,
# ROUNDS rounds, each tool first in every other round. Each run's output
# sits between "USK-BENCH <tool> <qd>" and "USK-BENCH-END <tool> <qd>
# <status> <start> <end>", the times from /proc/uptime, so the host can
# check that a "-t" second took a second of the guest's clock.
set -u
seconds=${1:-5}
rounds=${2:-6}

# DPDK keeps its runtime files under /var/run and SPDK its device locks
# under /var/tmp; the initramfs has neither.
mkdir -p /var/run /var/tmp
# SPDK's DPDK takes its memory from hugepages only; USK uses them too when there.
HUGEMEM=512 /usk/scripts/setup.sh config >/dev/null || exit 1
bdf=$(/usk/scripts/setup.sh status 2>/dev/null | awk '$0 ~ /vfio-pci/ {print $1; exit}')
[ -n "$bdf" ] || { echo "vs-spdk: no controller on vfio-pci"; exit 1; }
trid="trtype:PCIe traddr:$bdf"

# The same workload and the same device work for both. Both use shadow
# doorbells, which QEMU's controller offers: USK by default, SPDK whenever
# offered. Both align buffers to 4 KiB (USK's default; SPDK's is 512
# bytes, with which a 4 KiB buffer can span two pages: two DMA mappings
# per I/O for the device instead of one). DPDK maps physical addresses
# (--iova-mode pa): its default IOVAs are virtual addresses above 2^39,
# beyond the guest's 39-bit IOMMU.
run() { # tool qd
	local start end rc
	start=$(cut -d' ' -f1 /proc/uptime)
	case $1 in
	usk) /usk/bin/usk_nvme_perf -q "$2" -o 4096 -w randread -t "$seconds" -c 0x1 \
		-r "$trid" --transport-stats 2>&1 ;;
	spdk) /usk/bin/spdk_nvme_perf -q "$2" -o 4096 -w randread -t "$seconds" -c 0x1 \
		-r "$trid" -A 4096 --iova-mode pa --transport-stats 2>&1 ;;
	esac
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	echo "USK-BENCH-END $1 $2 $rc $start $end"
	return $rc
}

for ((i = 0; i < rounds; i++)); do
	order="usk spdk"
	((i % 2 == 0)) || order="spdk usk"
	for qd in 32 1; do
		for tool in $order; do
			echo "USK-BENCH $tool $qd"
			run "$tool" "$qd" || exit 1
		done
	done
done
echo "USK-BENCH done"
