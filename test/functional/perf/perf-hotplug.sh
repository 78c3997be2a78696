#!/bin/bash
# Guest: a controller hot-unplugged under usk_nvme_perf: every I/O ends
# (aborted), the run finishes and says so, and the device then leaves.
set -u
. /usk/tests/lib.sh

HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
bdf=$(nvme_bdfs | head -n 1)
# The unplug goes out once I/O runs (the first second's line), not at a time
# from the start: on a loaded host start-up and the guest's handling of the
# removal each took seconds, and a 6 s run once ended before the removal did.
/usk/bin/usk_nvme_perf -q 32 -w randread -t 12 >/tmp/perf.out 2>&1 &
perf=$!
wait_for "grep -q '^\[  1s\]' /tmp/perf.out" 600 || fail "usk_nvme_perf did not start its run"
unplug_during $perf 0 usk_nvme_perf
rc=$?
cat /tmp/perf.out
[ $rc -eq 1 ] || fail "usk_nvme_perf exited $rc, not 1 (I/O failed)"
grep -q "$bdf: the device is being removed (hot-unplug)" /tmp/perf.out || fail "no removal message"
# In flight at the removal, an I/O ends aborted; one the worker tried to
# start after it is refused. Which of the two a run shows depends on timing.
grep -Eq "I/Os failed" /tmp/perf.out || fail "the failed I/Os are not reported"
grep -Eq "Command Abort Requested|Submission refused" /tmp/perf.out ||
	fail "the failures do not say why"
wait_for "[ ! -e /sys/bus/pci/devices/$bdf ]" 300 || fail "$bdf is still there after the run"
echo "PASS: hot-unplug under load"
