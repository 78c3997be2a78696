#!/bin/bash
# Guest: examples/nvme/hello_world prints the message it wrote and read back.
set -u
. /usk/tests/lib.sh

out=$(/usk/bin/hello_world 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "run scripts/setup.sh" || fail "without vfio-pci: $out"
HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
out=$(/usk/bin/hello_world 2>&1) || fail "hello_world failed: $out"
echo "$out"
echo "$out" | grep -q "^Hello world from USK on 0000:01:00.0!$" || fail "wrong message"
# The kernel's driver reads the same bytes back from block 0.
/usk/scripts/setup.sh reset >/dev/null || fail "reset"
wait_for '[ -b /dev/nvme0n1 ]' 100 || fail "nvme0n1 did not come back"
head -c 38 /dev/nvme0n1 | grep -q "Hello world from USK on 0000:01:00.0!" ||
	fail "the kernel does not read the message back"
echo "PASS: hello_world"
