#!/bin/bash
# Guest, booted without an IOMMU, with a vfio module that has the no-IOMMU
# mode (the lab builds it: Debian's has not). NOIOMMU=1 setup.sh turns the
# mode on and binds the controller; lib/env runs an Identify by hand with an
# MSI-X interrupt, and lib/nvme writes and reads back data from two threads,
# with physical addresses from pagemap and DMA memory in hugepages. Without
# hugepages both setup.sh and the DMA heap refuse, saying why.
set -u
. /usk/tests/lib.sh

bdf=$(nvme_bdfs | head -n 1)
out=$(NOIOMMU=1 HUGEMEM=0 /usk/scripts/setup.sh config 2>&1) &&
	fail "NOIOMMU=1 with HUGEMEM=0 was accepted"
echo "$out" | grep -q "needs hugepages" || fail "no word about hugepages: $out"

out=$(NOIOMMU=1 HUGEMEM=256 /usk/scripts/setup.sh config 2>&1) || fail "setup.sh: $out"
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
