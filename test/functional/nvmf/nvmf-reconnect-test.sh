#!/bin/sh
# On the host, no VM: usk_tgt exports a bdev over NVMe/TCP on 127.0.0.1 and
# usk_bdevperf runs verify on it through bdev_nvme_attach_controller -t
# TCP. usk_tgt is killed (SIGKILL) under the load. Without reconnect
# (ctrlr_loss_timeout_sec 0) bdevperf reports I/O errors and exits 1, on
# its own. With ctrlr_loss_timeout_sec 30 / reconnect_delay_sec 1 and
# usk_tgt started again with the same config a few seconds later,
# bdevperf finishes its run with every I/O successful.
#
# The exported bdev is an aio bdev on a tmpfs file, not a malloc one: a
# write the killed target acknowledged must still be there when verify
# reads it back from the restarted one.
set -u
: "${top_builddir:?run by make check, which sets it}" "${top_srcdir:?run by make check, which sets it}"
tgt="$top_builddir/app/tgt/usk_tgt"
rpc_call="$top_builddir/test/functional/tgt/rpc_call"
bdevperf="$top_builddir/app/bdevperf/usk_bdevperf"
work=$(mktemp -d)
shm=$(mktemp -d /dev/shm/usk-nvmf-reconnect.XXXXXX)
pid=
perf=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "$perf" ] && kill -9 "$perf" 2>/dev/null;
      rm -rf "$work" "$shm"' EXIT
nqn=nqn.2016-06.io.spdk:cnode1
# The target on the first core the test may use, bdevperf on the last.
tgt_core=$(python3 -c 'import os; print(sorted(os.sched_getaffinity(0))[0])')
perf_core=$(python3 -c 'import os; print(sorted(os.sched_getaffinity(0))[-1])')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# shellcheck source=test/functional/lib.sh
. "$top_srcdir/test/functional/lib.sh"

truncate -s 64M "$shm/ns.img"
cat >"$work/tgt.json" <<JSON
{"subsystems": [
 {"subsystem": "bdev", "config": [
  {"method": "bdev_aio_create", "params": {"name": "Aio0", "filename": "$shm/ns.img", "block_size": 512}}]},
 {"subsystem": "nvmf", "config": [
  {"method": "nvmf_create_transport", "params": {"trtype": "TCP"}},
  {"method": "nvmf_create_subsystem", "params": {"nqn": "$nqn", "serial_number": "USK0001", "allow_any_host": true}},
  {"method": "nvmf_subsystem_add_ns", "params": {"nqn": "$nqn", "namespace": {"bdev_name": "Aio0"}}},
  {"method": "nvmf_subsystem_add_listener", "params": {"nqn": "$nqn", "listen_address":
   {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "$port"}}}]}]}
JSON

perf_config() { # ctrlr_loss_timeout_sec reconnect_delay_sec
	cat >"$work/perf.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_nvme_attach_controller", "params": {"name": "Nvme0", "trtype": "TCP",
  "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "$port", "subnqn": "$nqn",
  "ctrlr_loss_timeout_sec": $1, "reconnect_delay_sec": $2}}]}]}
JSON
}

# bdevperf in the background for $1 seconds; its output in $work/perf.out. A
# generous bound on top: a hang fails the test, it never waits for ever.
start_perf() {
	# The last run's progress lines must not pass for this one's.
	rm -f "$work/perf.out"
	timeout -s KILL $(($1 + 120)) "$bdevperf" -m "[$perf_core]" --json "$work/perf.json" \
		-w verify -q 16 -o 4096 -t "$1" >"$work/perf.out" 2>&1 &
	perf=$!
}

# Waits until bdevperf has printed $1 progress lines: the load is running.
perf_running() {
	[ "$(grep -c 'IOPS' "$work/perf.out" 2>/dev/null)" -ge "$1" ]
}

kill_tgt() {
	kill -9 "$pid" && wait "$pid"
	pid=
	return 0
}

perf_exit() { # the status wanted
	wait "$perf"
	got=$?
	perf=
	sed 's/^/  | /' "$work/perf.out" | tail -15
	[ "$got" = "$1" ] || { echo "  bdevperf exit $got, wanted $1"; return 1; }
}

check "usk_tgt exports an aio bdev over TCP on core $tgt_core" start_tgt -m "[$tgt_core]" -c "$work/tgt.json"
perf_config 0 0
start_perf 30
check "  bdevperf verify runs against it (no reconnect)" wait_until perf_running 2
check "usk_tgt is killed under the load" kill_tgt
check "  bdevperf reports I/O errors and exits 1 on its own" perf_exit 1
check "  the controller failed and its bdev went" grep -q "failing its outstanding commands" "$work/perf.out"

check "usk_tgt exports it again" start_tgt -m "[$tgt_core]" -c "$work/tgt.json"
perf_config 30 1
start_perf 20
check "  bdevperf verify runs with ctrlr_loss_timeout_sec 30, reconnect_delay_sec 1" wait_until perf_running 2
check "usk_tgt is killed under the load" kill_tgt
sleep 3
check "  and started again with the same config 3 s later" start_tgt -m "[$tgt_core]" -c "$work/tgt.json"
check "  bdevperf finishes its run, every I/O successful" perf_exit 0
check "  after reconnecting" grep -q "reconnect" "$work/perf.out"
check "usk_tgt stops cleanly" stop_tgt

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; sed 's/^/  tgt| /' "$work/tgt.log" | tail -50; exit 1; }
