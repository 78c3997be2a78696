#!/bin/bash
# Guest: the lab's err= option makes reads of one sector fail, and only it.
set -u
. /usk/tests/lib.sh

dev=/dev/$(nvme_block_devices | head -n 1)
dd if=$dev of=/dev/null bs=512 skip=2040 count=8 iflag=direct 2>/dev/null ||
	fail "sectors 2040..2047 should read fine"
dd if=$dev of=/dev/null bs=512 skip=2048 count=1 iflag=direct 2>/dev/null &&
	fail "sector 2048 read fine although the lab injects an error there"
dmesg | grep -q "LBA 2048, 1 blocks, I/O Error (sct 0x2 / sc 0x81)" ||
	fail "the kernel did not see Unrecovered Read Error (sct 0x2, sc 0x81) at LBA 2048"
echo "PASS: media error injected at sector 2048"
