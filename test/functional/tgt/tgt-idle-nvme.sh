#!/bin/bash
# Guest: adaptive interrupts with an nvme bdev. usk_tgt (idle sleep by
# default) with a controller attached, idle for 10 s, uses under 1 % of one
# core as the guest kernel counts it (/proc/PID/stat). usk_tgt cannot do
# I/O for a client yet, so usk_bdevperf --idle-sleep reads at queue depth
# 1: every read completes, and the reactor slept and was woken by the
# queue pair's MSI-X eventfd; the average latency with and without idle
# sleep is printed (each read after a sleep pays the wake-up), never checked.
# A controller attached with enable_interrupts false is polled only: an idle
# usk_tgt still sleeps (its sleeps end on timers, the queues looked at every
# 10 ms at most), and usk_bdevperf --idle-sleep's reads all complete with
# no wake-up of its job thread by a device.
set -u
. /usk/tests/lib.sh

HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
bdf=$(nvme_bdfs | head -n 1)
sock=/tmp/usk.sock
# The guest has no getconf: /proc/PID/stat counts in USER_HZ, 100 on Linux.
hz=100

rpc() {
	/usk/bin/rpc_call "$1" "${@:2}"
}

cpu_ticks() { # utime + stime of process $1
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

now_ms() { # busybox's date has no %N
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

/usk/bin/usk_tgt -r "$sock" >/tmp/tgt.log 2>&1 &
tgt=$!
wait_for "[ -S $sock ] && rpc $sock framework_wait_init >/dev/null 2>&1" 300 ||
	{ cat /tmp/tgt.log; fail "usk_tgt did not start"; }
out=$(rpc "$sock" bdev_nvme_attach_controller "{\"name\": \"Nvme0\", \"traddr\": \"$bdf\"}") ||
	fail "attach Nvme0: $out"
sleep 2
t0=$(cpu_ticks $tgt) w0=$(now_ms)
sleep 10
t1=$(cpu_ticks $tgt) w1=$(now_ms)
ticks=$((t1 - t0)) window_ms=$((w1 - w0))
echo "idle usk_tgt with Nvme0: $ticks CPU ticks (of $hz a second) in $window_ms ms"
# What woke it, and which pollers ran how often: for whoever reads a failure.
rpc "$sock" framework_get_reactors | tr -d ' \n' | grep -o '"sleeps.*"asleep":[0-9]*'
echo
rpc "$sock" thread_get_pollers | tr -d ' \n' | grep -o '"name":"[a-z_]*","state":"[a-z]*","period_us":[0-9]*,"run_count":[0-9]*'
echo
[ $((ticks * 1000 * 100)) -lt $((window_ms * hz)) ] || fail "idle usk_tgt used 1 % of a core or more"
rpc "$sock" spdk_kill_instance '{"sig_name": "SIGTERM"}' >/dev/null
wait $tgt || { cat /tmp/tgt.log; fail "usk_tgt exited $?"; }

/usk/bin/usk_tgt -r "$sock" >/tmp/tgt.log 2>&1 &
tgt=$!
wait_for "[ -S $sock ] && rpc $sock framework_wait_init >/dev/null 2>&1" 300 ||
	{ cat /tmp/tgt.log; fail "usk_tgt did not start (polled controller)"; }
out=$(rpc "$sock" bdev_nvme_attach_controller \
	"{\"name\": \"Nvme0\", \"traddr\": \"$bdf\", \"enable_interrupts\": false}") ||
	fail "attach Nvme0 with enable_interrupts false: $out"
sleep 1
t0=$(cpu_ticks $tgt) w0=$(now_ms)
sleep 4
t1=$(cpu_ticks $tgt) w1=$(now_ms)
echo "idle usk_tgt with Nvme0 polled only: $((t1 - t0)) CPU ticks in $((w1 - w0)) ms"
reactors=$(rpc "$sock" framework_get_reactors | tr -d ' \n')
echo "$reactors" | grep -o '"sleeps.*"asleep":[0-9]*'
echo "$reactors" | grep -q '"sleeps":[1-9]' || fail "usk_tgt with a polled controller never slept"
echo "$reactors" | grep -q '"wakeups_timer":[1-9]' ||
	fail "usk_tgt with a polled controller: no sleep ended on a timer"
rpc "$sock" spdk_kill_instance '{"sig_name": "SIGTERM"}' >/dev/null
wait $tgt || { cat /tmp/tgt.log; fail "usk_tgt exited $? (polled controller)"; }

nvme_bdev_config /tmp/nvme.json "$bdf"
# bdevperf ARGS...: a 4 s qd 1 random read (config: /tmp/nvme.json unless $config); its table in
# /tmp/bp.out.
bdevperf() {
	/usk/bin/usk_bdevperf --json "${config:-/tmp/nvme.json}" -T Nvme0n1 -w randread -q 1 \
		-o 4096 -t 4 "$@" >/tmp/bp.out 2>&1
}
avg_us() { awk '$1 == "Nvme0n1" && NF == 10 { print $6 }' /tmp/bp.out; }

bdevperf || { cat /tmp/bp.out; fail "usk_bdevperf, polling"; }
polled=$(avg_us)
rm -f /tmp/bp.sock
bdevperf --idle-sleep --idle-threshold-us 0 -r /tmp/bp.sock &
bp=$!
wait_for "[ -S /tmp/bp.sock ]" 300 && sleep 2 && rpc /tmp/bp.sock framework_get_reactors >/tmp/reactors.json
wait $bp || { cat /tmp/bp.out; fail "usk_bdevperf --idle-sleep"; }
awk '$1 == "Nvme0n1" && NF == 10 { exit !($8 == $9 && $8 > 0 && $10 == 0) }' /tmp/bp.out ||
	{ cat /tmp/bp.out; fail "usk_bdevperf --idle-sleep: not every read completed"; }
grep -q '"wakeups_device": *[1-9]' /tmp/reactors.json ||
	{ cat /tmp/reactors.json; fail "the reactor was never woken by the queue pair's interrupt"; }
grep -o '"\(sleeps\|wakeups_[a-z]*\|sleep_aborts\)": *[0-9]*' /tmp/reactors.json | tr '\n' ' '
echo
slept=$(avg_us)

sed 's/"num_io_queues": 1024,/"num_io_queues": 1024, "enable_interrupts": false,/' \
	/tmp/nvme.json >/tmp/nvme-polled.json
rm -f /tmp/bp.sock
config=/tmp/nvme-polled.json bdevperf --idle-sleep --idle-threshold-us 0 -r /tmp/bp.sock &
bp=$!
wait_for "[ -S /tmp/bp.sock ]" 300 && sleep 2 && rpc /tmp/bp.sock thread_get_stats >/tmp/threads.json
wait $bp || { cat /tmp/bp.out; fail "usk_bdevperf --idle-sleep, controller polled only"; }
awk '$1 == "Nvme0n1" && NF == 10 { exit !($8 == $9 && $8 > 0 && $10 == 0) }' /tmp/bp.out ||
	{ cat /tmp/bp.out; fail "controller polled only: not every read completed"; }
job=$(tr -d ' \n' </tmp/threads.json | grep -o '"name":"bdevperf_Nvme0n1[^}]*')
echo "job thread, controller polled only: $job"
echo "$job" | grep -q '"sleeps":[1-9]' || fail "controller polled only: the job thread never slept"
echo "$job" | grep -q '"wakeups_device":0[,}]' ||
	fail "controller polled only: a device woke the job thread"
echo "qd 1 randread average latency: polling $polled us, idle sleep $slept us," \
	"idle sleep with the controller polled only $(avg_us) us"
echo "PASS: adaptive interrupts with an nvme bdev"
