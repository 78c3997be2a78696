#!/bin/bash
# Without an IOMMU, setup.sh config refuses and names the kernel parameter.
set -u
. /usk/tests/lib.sh

out=$(/usk/scripts/setup.sh config 2>&1)
rc=$?
echo "$out"
[ $rc -eq 1 ] || fail "config without an IOMMU exited $rc, not 1"
echo "$out" | grep -q "intel_iommu=on" || fail "the message does not name intel_iommu=on"
bdf=$(nvme_bdfs | head -n 1)
[ "$(driver_of "$bdf")" = nvme ] || fail "$bdf left nvme"
echo "PASS: no IOMMU refused"
