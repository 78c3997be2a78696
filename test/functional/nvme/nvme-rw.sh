#!/bin/bash
# Guest: data written through lib/nvme reads back byte for byte, on two
# controllers and three namespaces (512- and 4096-byte blocks, two MDTS).
set -u
. /usk/tests/lib.sh

HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
for doorbells in shadow mmio; do
	out=$(/usk/bin/nvme_rw 10 $doorbells 2>&1)
	rc=$?
	echo "$out"
	[ $rc -eq 0 ] || fail "nvme_rw with $doorbells doorbells exited $rc"
	[ "$(echo "$out" | grep -c ', 2 threads: ok$')" -eq 3 ] || fail "not every namespace was checked"
	echo "$out" | grep -q "ns 2: 4096-byte blocks" || fail "the 4096-byte namespace is missing"
	echo "$out" | grep -qi "$doorbells doorbells" || fail "the driver did not use $doorbells doorbells"
done
echo "PASS: write and read back through VFIO, shadow and MMIO doorbells, 2 threads"
