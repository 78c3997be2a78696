#!/bin/bash
# Guest: lib/env attaches the controller through VFIO (39-bit IOMMU) and runs
# an Identify by hand, once with hugepages reserved and once with none; its
# completion raises MSI-X vector 0 on an eventfd.
set -u
. /usk/tests/lib.sh

HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
echo 0 >/proc/sys/vm/nr_hugepages
out=$(/usk/bin/env_identify "QEMU NVMe Ctrl" off 2>&1) || fail "without hugepages: $out"
echo "$out"
echo "$out" | grep -q "up to 0x7fffffffff" || fail "the IOMMU is not the 39-bit one"
echo "$out" | grep -q "MSI-X vector 0 through an eventfd: interrupt seen" || fail "no MSI-X interrupt"

echo 32 >/proc/sys/vm/nr_hugepages
out=$(/usk/bin/env_identify "QEMU NVMe Ctrl" on 2>&1) || fail "with hugepages: $out"
echo "$out"
# With none free, 'on' must fail rather than fall back.
echo 0 >/proc/sys/vm/nr_hugepages
out=$(/usk/bin/env_identify "QEMU NVMe Ctrl" on 2>&1) && fail "'on' worked without hugepages"
echo "$out" | grep -q "no free hugepages" || fail "no message about missing hugepages: $out"
echo "PASS: identify through VFIO with and without hugepages"
