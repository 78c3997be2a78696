#!/bin/bash
# Guest: usk_bdevperf on nvme bdevs. Verify passes from two cores, each
# with its own queue pair, on both namespaces; I/O above the controller's
# MDTS is split; resets, write zeroes, unmap and flush complete.
set -u
. /usk/tests/lib.sh

HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
bdf=$(nvme_bdfs | head -n 1)
nvme_bdev_config /tmp/nvme.json "$bdf"

# Runs usk_bdevperf with the config and @args; fails unless it exits 0.
run() {
	/usk/bin/usk_bdevperf --json /tmp/nvme.json "$@" >/tmp/bdevperf.out 2>&1
	local rc=$?
	cat /tmp/bdevperf.out
	[ $rc -eq 0 ] || fail "usk_bdevperf $* exited $rc"
}

run -m 0x3 -C -q 16 -o 4096 -w verify -t 5
for row in "Nvme0n1 +0 " "Nvme0n1 +1 " "Nvme0n2 +0 " "Nvme0n2 +1 "; do
	grep -Eq "^$row" /tmp/bdevperf.out || fail "no result row '$row'"
done
# 1 MiB: above QEMU's MDTS (512 KiB), so the layer splits each I/O in two.
run -q 4 -o 1048576 -w verify -t 3 -T Nvme0n1
run -q 2 -w reset -t 2 -T Nvme0n1
for w in write_zeroes unmap flush; do
	run -q 8 -o 65536 -w $w -t 2 -T Nvme0n2
done
echo "PASS: usk_bdevperf on nvme bdevs"
