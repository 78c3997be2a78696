#!/bin/bash
# Guest: the controller is hot-unplugged while usk_bdevperf drives its
# nvme bdev from two cores: the I/Os in flight are counted as failed, the
# jobs stop, the run ends with exit status 1, and the device leaves.
set -u
. /usk/tests/lib.sh

HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
bdf=$(nvme_bdfs | head -n 1)
nvme_bdev_config /tmp/nvme.json "$bdf"
/usk/bin/usk_bdevperf --json /tmp/nvme.json -m 0x3 -C -q 32 -w randread -t 20 \
	>/tmp/bdevperf.out 2>&1 &
unplug_during $! 4 usk_bdevperf
rc=$?
cat /tmp/bdevperf.out
[ $rc -eq 1 ] || fail "usk_bdevperf exited $rc, not 1 (failed I/O)"
grep -q "Nvme0: the controller is gone; removing its bdevs" /tmp/bdevperf.out ||
	fail "no removal message"
grep -q "bdev Nvme0n1 was removed; its job stops" /tmp/bdevperf.out || fail "the jobs were not told"
# The summary's failed column for the bdev: some I/O was in flight.
awk '$1 == "Nvme0n1" && $NF > 0 { found = 1 } END { exit !found }' /tmp/bdevperf.out ||
	fail "no failed I/O counted for Nvme0n1"
wait_for "[ ! -e /sys/bus/pci/devices/$bdf ]" 300 || fail "$bdf is still there after the run"
echo "PASS: hot-unplug under usk_bdevperf"
