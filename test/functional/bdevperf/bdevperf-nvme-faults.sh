#!/bin/bash
# Guest: faults under usk_bdevperf -w verify on nvme bdevs, one controller
# each (bdevperf-nvme-faults-test.sh makes them):
#  1. reset storm: bdev_nvme_reset_controller every 100 ms for 30 s while
#     two cores verify: every I/O completes once, none fails, no mismatch;
#  2. commands that never complete: the second namespace's I/O stalls
#     (QEMU throttles its drive to 1 byte/s), the 2 s timeout sends Aborts
#     (QEMU declines them), then resets: only the stalled I/O fail, with
#     Command Abort Requested; the first namespace's I/O, ended by the same
#     resets, are sent again and pass;
#  3. a media error: writes and reads of one sector fail with the NVMe
#     status the device gave (Write Fault, Unrecovered Read Error), and only
#     those.
# Why a throttle and not blkdebug's break: a reset makes QEMU drain the
# namespace, which waits for a suspended request forever, with the lock
# that the monitor's resume would need (QEMU 7.2). A throttled request is
# released by that drain.
set -u
. /usk/tests/lib.sh

STORM_SECONDS=${1:-30}
shift
PHASES=${*:-reset_storm timeouts media_error}

HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
mapfile -t bdfs < <(nvme_bdfs)
[ ${#bdfs[@]} -eq 3 ] || fail "expected 3 controllers, found ${#bdfs[@]}"

# Runs usk_bdevperf in the background with the config $1 and the options after it.
bdevperf_start() {
	local config=$1
	shift
	/usk/bin/usk_bdevperf --json "$config" "$@" >/tmp/bdevperf.out 2>&1 &
	bdevperf_pid=$!
}

# Waits up to $1 seconds for usk_bdevperf to end; its exit status, or fails the test.
bdevperf_wait() {
	wait_for "! kill -0 $bdevperf_pid 2>/dev/null" $(($1 * 10)) || {
		cat /tmp/bdevperf.out
		fail "usk_bdevperf did not end within $1 s (a hang)"
	}
	wait "$bdevperf_pid"
}

# The summary line of bdev $1: its last field counts failed I/O.
failed_of() {
	awk -v b="$1" '$1 == b { n = $NF } END { print n + 0 }' /tmp/bdevperf.out
}

# Every job reported as many completions as submissions (usk_bdevperf says so otherwise).
check_counts() {
	grep -q "submitted" /tmp/bdevperf.out || fail "$1: no submitted/completed counts"
	! grep -q "completed more than once\|still waiting for" /tmp/bdevperf.out ||
		fail "$1: an I/O did not complete exactly once"
	! grep -q "verify:" /tmp/bdevperf.out || fail "$1: verify found a mismatch"
}

phase_reset_storm() {
	local sock=/tmp/bdevperf.sock rc
	nvme_bdev_config /tmp/storm.json "${bdfs[0]}"
	bdevperf_start /tmp/storm.json -r "$sock" -m 0x3 -C -q 32 -w verify \
		-t $((STORM_SECONDS + 10))
	wait_for "[ -S $sock ]" 300 || fail "storm: no RPC socket"
	/usk/bin/rpc_call -t "$STORM_SECONDS" -i 100 "$sock" bdev_nvme_reset_controller \
		'{"name": "Nvme0"}' >/tmp/storm.rpc 2>&1
	rc=$?
	bdevperf_wait 120
	local bp_rc=$?
	cat /tmp/storm.rpc /tmp/bdevperf.out
	[ $rc -eq 0 ] || fail "storm: a reset failed (rpc_call exited $rc)"
	[ $bp_rc -eq 0 ] || fail "storm: usk_bdevperf exited $bp_rc, not 0"
	check_counts storm
	[ "$(failed_of Nvme0n1)" -eq 0 ] || fail "storm: I/O failed"
	echo "PASS: reset storm: $(sed -n 's/^rpc_call: //p' /tmp/storm.rpc)"
}

phase_timeouts() {
	local rc
	nvme_bdev_config /tmp/timeout.json "${bdfs[1]}" \
		'{"action_on_timeout": "abort", "timeout_us": 2000000}'
	bdevperf_start /tmp/timeout.json -m 0x3 -q 8 -w verify -t 20
	sleep 3
	echo 'USK-VM-QMP {"execute":"block_set_io_throttle","arguments":{"device":"c2n2","bps":1,"bps_rd":0,"bps_wr":0,"iops":0,"iops_rd":0,"iops_wr":0}}'
	sleep 9
	echo 'USK-VM-QMP {"execute":"block_set_io_throttle","arguments":{"device":"c2n2","bps":0,"bps_rd":0,"bps_wr":0,"iops":0,"iops_rd":0,"iops_wr":0}}'
	bdevperf_wait 120
	rc=$?
	cat /tmp/bdevperf.out
	[ $rc -eq 1 ] || fail "timeouts: usk_bdevperf exited $rc, not 1 (failed I/O)"
	check_counts timeouts
	grep -q "timed out after 2000 ms; aborting it" /tmp/bdevperf.out ||
		fail "timeouts: no Abort was sent"
	grep -q "resetting the controller" /tmp/bdevperf.out || fail "timeouts: no reset"
	[ "$(failed_of Nvme0n1)" -eq 0 ] || fail "timeouts: I/O of the namespace that answers failed"
	[ "$(failed_of Nvme0n2)" -gt 0 ] || fail "timeouts: no stalled I/O failed"
	grep -q "Nvme0n2.*sct 0x0 sc 0x7 (Command Abort Requested)" /tmp/bdevperf.out ||
		fail "timeouts: the stalled I/O did not fail with Command Abort Requested"
	echo "PASS: timeouts: $(failed_of Nvme0n2) stalled I/O failed, no other"
}

# Runs usk_bdevperf -w $1 on the media error's controller: it must end with
# failed I/O (exit 1), every failure the bad block's, the first at block
# 2048 with status $2, every status line that one ($3 its count line).
media_run() {
	local rc failed
	bdevperf_start /tmp/media.json -q 8 -w "$1" -t 5
	bdevperf_wait 120
	rc=$?
	cat /tmp/bdevperf.out
	[ $rc -eq 1 ] || fail "media: usk_bdevperf -w $1 exited $rc, not 1 (failed I/O)"
	check_counts media
	failed=$(failed_of Nvme0n1)
	[ "$failed" -gt 0 ] || fail "media: no I/O failed"
	grep -q "first: $2" /tmp/bdevperf.out || fail "media: the first failure is not '$2'"
	grep -q "^ *$failed x $3\$" /tmp/bdevperf.out ||
		fail "media: not all $failed failures were '$3'"
}

phase_media_error() {
	local verify_failed
	nvme_bdev_config /tmp/media.json "${bdfs[2]}"
	# Verify writes each block before reading it: the write of block 2048 fails.
	media_run verify "write of block 2048: NVMe status sct 0x2 sc 0x80 (Write Fault)" \
		"Write Fault (sct 0x2, sc 0x80)"
	verify_failed=$(failed_of Nvme0n1)
	media_run read "read of block 2048: NVMe status sct 0x2 sc 0x81 (Unrecovered Read Error)" \
		"Unrecovered Read Error (sct 0x2, sc 0x81)"
	echo "PASS: media error: $verify_failed writes and $(failed_of Nvme0n1) reads of block 2048 failed with the device's status, no other I/O"
}

for phase in $PHASES; do
	echo "usk-faults: phase $phase"
	"phase_$phase"
done
echo "PASS: faults under usk_bdevperf -w verify"
