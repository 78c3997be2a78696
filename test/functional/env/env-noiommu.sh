#!/bin/bash
# Guest, booted without an IOMMU. NOIOMMU=1 setup.sh turns on VFIO's
# no-IOMMU mode where the kernel has it (CONFIG_VFIO_NOIOMMU); lib/env then
# runs an Identify by hand and lib/nvme writes and reads back data, with
# physical addresses from pagemap and DMA memory in hugepages, and refuses
# without hugepages. A kernel without the mode (Debian's) gets a clear
# refusal from setup.sh, and the device stays on nvme.
set -u
. /usk/tests/lib.sh

bdf=$(nvme_bdfs | head -n 1)
out=$(NOIOMMU=1 HUGEMEM=0 /usk/scripts/setup.sh config 2>&1) &&
	fail "NOIOMMU=1 with HUGEMEM=0 was accepted"
echo "$out" | grep -q "needs hugepages" || fail "no word about hugepages: $out"

modprobe vfio 2>/dev/null
if [ ! -e /sys/module/vfio/parameters/enable_unsafe_noiommu_mode ]; then
	out=$(NOIOMMU=1 HUGEMEM=64 /usk/scripts/setup.sh config 2>&1) &&
		fail "setup.sh accepted NOIOMMU=1 on a kernel without the mode"
	echo "$out"
	echo "$out" | grep -q "CONFIG_VFIO_NOIOMMU" || fail "the refusal does not name the option"
	[ "$(driver_of "$bdf")" = nvme ] || fail "$bdf left nvme"
	echo "PASS: no-IOMMU mode refused: this kernel lacks CONFIG_VFIO_NOIOMMU"
	exit 0
fi

out=$(NOIOMMU=1 HUGEMEM=64 /usk/scripts/setup.sh config 2>&1) || fail "setup.sh: $out"
echo "$out"
echo "$out" | grep -q "$bdf: /dev/vfio/noiommu-" || fail "not bound in no-IOMMU mode"
out=$(/usk/bin/env_identify "QEMU NVMe Ctrl" auto 2>&1) || fail "env_identify: $out"
echo "$out"
echo "$out" | grep -q "no-IOMMU mode" || fail "no warning that the mode is unsafe"
out=$(/usk/bin/nvme_rw 3 2>&1) || fail "nvme_rw: $out"
echo "$out" | tail -n 3
# The DMA heap takes nothing but hugepages here: with none free, a clear error.
echo 0 >/proc/sys/vm/nr_hugepages
out=$(/usk/bin/env_identify "QEMU NVMe Ctrl" auto 2>&1) && fail "worked without hugepages"
echo "$out" | grep -q "no-IOMMU mode needs" || fail "no word about hugepages: $out"
echo "PASS: no-IOMMU mode with hugepages, refused without"
