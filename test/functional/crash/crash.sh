#!/bin/bash
# Guest: kill -9 crash_writer at random moments and start the next
# generation at once, CYCLES times; every PERF_EVERY cycles also kill -9
# usk_nvme_perf (randwrite, namespace 2) and restart it. Then give the
# device back to the kernel and check through it that every block the
# writers logged as written and flushed is on disk, whole, no older.
#
#     crash.sh [CYCLES (50)] [PERF_EVERY (10, 0 for never)]
set -u
. /usk/tests/lib.sh
cycles=${1:-50}
perf_every=${2:-10}
writer=/usk/bin/crash_writer
perf=/usk/bin/usk_nvme_perf
first=0
count=8192
log=/tmp/crash.log
out=/tmp/crash
mkdir -p $out
: >$log

bdf=$(nvme_bdfs | head -n 1)
[ -n "$bdf" ] || fail "no NVMe controller"
HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"

uptime_s() {
	local up rest
	read -r up rest </proc/uptime
	echo "$up"
}

# A random delay of 0.3 to 2.0 s.
random_delay() {
	local ms=$((300 + RANDOM % 1701))
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

start_writer() {
	"$writer" -a "$bdf" -n 1 -s $first -c $count -g "$1" -l $log >"$out/$1.out" 2>"$out/$1.err" &
	pid=$!
}

# Waits (up to 120 s) for generation $1 to report its first completed write.
wait_first_write() {
	wait_for "grep -q first_write_us $out/$1.out" 1200 ||
		fail "generation $1 served no I/O in 120 s: $(tail -n 5 "$out/$1.err")"
}

# Reaps a writer that was killed: it must have died of the SIGKILL, not of an error.
reap() {
	local rc=0
	wait "$1" 2>/dev/null || rc=$?
	[ $rc -eq 137 ] || fail "generation $2 ended with status $rc before the kill: $(tail -n 5 "$out/$2.err")"
}

# kill -9 a usk_nvme_perf that took the device over from the killed writer,
# then run one to the end: it must take over from the killed perf and do I/O.
perf_cycle() {
	local p rc=0 res
	"$perf" -r "trtype:PCIe traddr:$bdf" -n 2 -q 8 -o 4096 -w randwrite -t 60 \
		>"$out/perf$1.out" 2>&1 &
	p=$!
	sleep "$(random_delay)"
	kill -9 $p
	res=$("$perf" -r "trtype:PCIe traddr:$bdf" -n 2 -q 8 -o 4096 -w randwrite -t 1 2>&1) || rc=$?
	wait $p 2>/dev/null
	[ $rc -eq 0 ] || fail "usk_nvme_perf after the kill of another exited $rc: $res"
	echo "$res" | awk '/^Total/ { ok = $(NF-4) + 0 > 0 } END { exit !ok }' ||
		fail "usk_nvme_perf after the kill of another did no I/O: $res"
	echo "cycle $1: usk_nvme_perf killed and restarted: $(echo "$res" | grep '^Total')"
	perf_runs=$((perf_runs + 1))
}

perf_runs=0
start_writer 1
for gen in $(seq 1 "$cycles"); do
	sleep "$(random_delay)"
	# A kill before the first write would prove nothing about serving I/O.
	wait_first_write "$gen"
	kill -9 $pid
	killed_at=$(uptime_s)
	old=$pid
	if [ "$perf_every" -gt 0 ] && [ $((gen % perf_every)) -eq 0 ]; then
		perf_cycle "$gen"
		killed_at=""
	fi
	[ "$gen" -lt "$cycles" ] && start_writer $((gen + 1))
	reap $old "$gen"
	# Kill to first write of the next generation, from the guest's clock.
	[ -n "$killed_at" ] && echo "$killed_at" >"$out/$((gen + 1)).killed"
	echo "cycle $gen: $(cat "$out/$gen.out")"
done

# Every restart served I/O (wait_first_write): restart-to-first-write
# (crash_writer's own clock, from main()) and kill-to-first-write (the
# guest's uptime, so exec and the take-over wait are in it).
stats() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
		printf "median %.1f ms, max %.1f ms (%d restarts)", v[int((NR + 1) / 2)], v[NR], NR }'
}
# Only generations started right after a kill count (not the first, nor
# those after a perf run, which ended cleanly).
restart=$(for g in $(seq 2 "$cycles"); do
	[ -f "$out/$g.killed" ] || continue
	sed -n 's/.*first_write_us=\([0-9]*\).*/\1/p' "$out/$g.out" | awk '{ print $1 / 1000 }'
done | stats)
kill_to_io=$(for g in $(seq 2 "$cycles"); do
	[ -f "$out/$g.killed" ] || continue
	mono=$(sed -n 's/.*mono_us=\([0-9]*\).*/\1/p' "$out/$g.out")
	awk -v m="$mono" -v k="$(cat "$out/$g.killed")" 'BEGIN { print m / 1000 - k * 1000 }'
done | stats)
# Whole lines only: each writer starts with an empty one, a killed one may leave a torn one.
logged=$(grep -cE '^[0-9]+ [0-9]+ [0-9]+$' $log)

/usk/scripts/setup.sh reset >/dev/null || fail "setup.sh reset"
wait_for '[ -b /dev/nvme0n1 ]' 300 || fail "nvme0n1 did not come back on the kernel driver"
bs=$(cat /sys/block/nvme0n1/queue/logical_block_size)
check=$(/usk/bin/crash_check /dev/nvme0n1 $first $count "$bs" $log)
rc=$?
echo "$check" | head -n 20
echo "RESULT cycles=$cycles perf_kills=$perf_runs flushed_writes_logged=$logged $(echo "$check" | tail -n 1)"
echo "RESULT restart-to-first-write (crash_writer, from main): $restart"
echo "RESULT kill-to-first-write (guest uptime, 10 ms resolution): $kill_to_io"
[ $rc -eq 0 ] || fail "acknowledged and flushed writes lost or damaged"

# The check bites: zero one logged block through the kernel, expect exactly it.
lba=$(grep -E '^[0-9]+ [0-9]+ [0-9]+$' $log | tail -n 1 | cut -d' ' -f2)
dd if=/dev/zero of=/dev/nvme0n1 bs="$bs" seek="$lba" count=1 conv=fsync 2>/dev/null ||
	fail "cannot zero block $lba"
check=$(/usk/bin/crash_check /dev/nvme0n1 $first $count "$bs" $log)
if ! echo "$check" | grep -q "^FAIL LBA $lba: no crash_writer header" ||
	! echo "$check" | grep -q "failures=1 "; then
	fail "crash_check did not find the block zeroed on purpose: $check"
fi
echo "self-check ok: a zeroed block is reported"
echo "PASS: $cycles kill -9 cycles, no flushed write lost"
