#!/bin/sh
# On the host: an idle usk_tgt sleeps. With a uring bdev on a /dev/shm file
# and nothing to do for 8 s, the process uses under 1 % of one core, as
# the kernel counts it (utime + stime in /proc/PID/stat, not usk's own
# counters); with --no-idle-sleep it spins. usk_tgt has no way yet to do
# I/O for a client (no NVMe-oF target), so the wake-up by a completion is
# checked in usk_bdevperf with --idle-sleep: reads from a uring bdev and
# from an aio bdev all complete, and the reactor was woken by the bdev's
# eventfd.
set -u
: "${top_builddir:?run by make check, which sets it}" "${top_srcdir:?run by make check, which sets it}"
tgt="$top_builddir/app/tgt/usk_tgt"
bdevperf="$top_builddir/app/bdevperf/usk_bdevperf"
rpc_call="$top_builddir/test/functional/tgt/rpc_call"
work=$(mktemp -d)
img=$(mktemp /dev/shm/usk-tgt-idle.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work" "$img"' EXIT
failures=0
hz=$(getconf CLK_TCK)
core=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
truncate -s 64M "$img"

# shellcheck source=test/functional/lib.sh
. "$top_srcdir/test/functional/lib.sh"


cpu_ticks() { # utime + stime of process $1, in clock ticks
	# The name (field 2) may hold spaces: count from after its ')'.
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

now_ms() {
	date +%s%3N
}

# Ticks the process used over a window of $1 seconds, no RPC meanwhile
# (a connection would wake it); sets $ticks and $window_ms.
measure() {
	sleep 1
	t0=$(cpu_ticks "$pid") w0=$(now_ms)
	sleep "$1"
	t1=$(cpu_ticks "$pid") w1=$(now_ms)
	ticks=$((t1 - t0)) window_ms=$((w1 - w0))
	echo "  $ticks CPU ticks (of $hz a second) in $window_ms ms"
}

under_one_percent() {
	# ticks / hz < window / 100, in integers
	[ $((ticks * 1000 * 100)) -lt $((window_ms * hz)) ]
}

check "usk_tgt starts, sleeping when idle by default" start_tgt -m "[$core]"
check "  framework_get_reactors says idle_sleep" \
	sh -c "'$rpc_call' '$work/tgt.sock' framework_get_reactors | grep -q '\"idle_sleep\": *true'"
check "  a uring bdev on a /dev/shm file is created" \
	sh -c "'$rpc_call' '$work/tgt.sock' bdev_uring_create \
		'{\"name\": \"Uring0\", \"filename\": \"$img\"}' >/dev/null"
measure 8
check "  idle for 8 s, the process uses under 1 % of one core" under_one_percent
check "  framework_get_reactors counts its sleeps" \
	sh -c "'$rpc_call' '$work/tgt.sock' framework_get_reactors | grep -q '\"sleeps\": *[1-9]'"
check "  and it stops cleanly" stop_tgt

check "usk_tgt --no-idle-sleep starts" start_tgt -m "[$core]" --no-idle-sleep
measure 2
spins() { ! under_one_percent; }
check "  it spins: 1 % of a core or more, idle" spins
check "  and it stops cleanly" stop_tgt

# A reactor that sleeps as soon as a poll finds nothing (threshold 0)
# sleeps while each read is with the disk: the ring's (uring) or the io
# context's (aio) eventfd, its poller's interrupt source, must wake it.
# The file is on the build's file system, with data (a hole or tmpfs
# answers at once, and the reactor never idles): direct reads of it wait
# for the device. On a build directory in tmpfs this part would fail.
disk_img="$top_builddir/test/functional/tgt/tgt-idle.img"
dd if=/dev/zero of="$disk_img" bs=1M count=16 status=none conv=fsync
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work" "$img" "$disk_img"' EXIT
read_with_sleeps() { # the bdev's name, its create method
	cat >"$work/$1.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "$2", "params": {"name": "$1", "filename": "$disk_img"}}]}]}
JSON
	rm -f "$work/bp.sock"
	"$bdevperf" -m "[$core]" --json "$work/$1.json" --idle-sleep --idle-threshold-us 0 \
		-r "$work/bp.sock" -T "$1" -w randread -q 1 -o 4k -t 4 >"$work/bp.out" 2>&1 &
	bp=$!
	wait_until [ -S "$work/bp.sock" ] && sleep 2 &&
		"$rpc_call" "$work/bp.sock" framework_get_reactors >"$work/reactors.json"
	wait "$bp" || { sed 's/^/  | /' "$work/bp.out"; return 1; }
}
for bdev in Uring0:bdev_uring_create Aio0:bdev_aio_create; do
	# Not $name: check() sets that one.
	bdev_name=${bdev%%:*}
	check "usk_bdevperf --idle-sleep: reads from $bdev_name complete" \
		read_with_sleeps "$bdev_name" "${bdev#*:}"
	check "  its reactor slept and the bdev's eventfd woke it" \
		grep -q '"wakeups_device": *[1-9]' "$work/reactors.json"
	# shellcheck disable=SC2016 # awk's own $ fields
	check "  every I/O submitted completed, none failed" \
		awk -v name="$bdev_name" '$1 == name && NF == 10 { rows++; if ($8 != $9 || $8 == 0 || $10 != 0) bad = 1 }
			END { exit !(rows == 1 && !bad) }' "$work/bp.out"
	grep -o '"\(sleeps\|wakeups_[a-z]*\|sleep_aborts\)": *[0-9]*' "$work/reactors.json" |
		tr '\n' ' ' | sed 's/^/  /; s/$/\n/'
done

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
