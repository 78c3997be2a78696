#!/bin/bash
# Guest: data written through lib/nvme reads back byte for byte, on two
# controllers and three namespaces (512- and 4096-byte blocks, two MDTS).
set -u
. /usk/tests/lib.sh

HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
for mode in shadow,sgl mmio,sgl shadow,nosgl mmio,nosgl; do
	doorbells=${mode%,*}
	pointers=$([ "${mode#*,}" = sgl ] && echo SGLs || echo PRPs)
	out=$(/usk/bin/nvme_rw 10 $mode 2>&1)
	rc=$?
	echo "$out"
	[ $rc -eq 0 ] || fail "nvme_rw $mode exited $rc"
	[ "$(echo "$out" | grep -c ', 2 threads: ok$')" -eq 3 ] || fail "not every namespace was checked"
	echo "$out" | grep -q "ns 2: 4096-byte blocks" || fail "the 4096-byte namespace is missing"
	echo "$out" | grep -qi "$doorbells doorbells, $pointers" || fail "the driver did not use $mode"
done
echo "PASS: write and read back through VFIO: shadow and MMIO doorbells, SGLs and PRPs, 2 threads"
