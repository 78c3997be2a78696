#!/bin/sh
# On the host, no VM: usk_nvme_perf against usk_tgt's malloc namespace over
# NVMe/TCP on 127.0.0.1. A run goes through and verifies; bad input (a
# namespace listed twice, a core the process may not run on, buffers beyond
# what it can have) exits 2 before the run with a line that names it.
set -u
: "${top_builddir:?run by make check, which sets it}" "${top_srcdir:?run by make check, which sets it}"
tgt="$top_builddir/app/tgt/usk_tgt"
rpc_call="$top_builddir/test/functional/tgt/rpc_call"
perf="$top_builddir/app/nvme_perf/usk_nvme_perf"
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
nqn=nqn.2016-06.io.spdk:cnode1
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trid="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$port subnqn:$nqn"
first_core=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
forbidden=$(python3 -c 'import os; a = os.sched_getaffinity(0); print(min(set(range(256)) - a))')

# shellcheck source=test/functional/lib.sh
. "$top_srcdir/test/functional/lib.sh"

setup_target() {
	rpc bdev_malloc_create '{"name": "Malloc0", "num_blocks": 65536, "block_size": 512}' &&
		rpc nvmf_create_transport '{"trtype": "TCP"}' &&
		rpc nvmf_create_subsystem "{\"nqn\": \"$nqn\", \"allow_any_host\": true}" &&
		rpc nvmf_subsystem_add_ns "{\"nqn\": \"$nqn\", \"namespace\": {\"bdev_name\": \"Malloc0\"}}" &&
		rpc nvmf_subsystem_add_listener "{\"nqn\": \"$nqn\", \"listen_address\":
			{\"trtype\": \"TCP\", \"adrfam\": \"IPv4\", \"traddr\": \"127.0.0.1\",
			\"trsvcid\": \"$port\"}}"
}

verify_run() {
	"$perf" -r "$trid" -c "[$first_core]" -V -q 8 -t 1 >"$work/run.out" 2>&1 &&
		grep -q "^Total " "$work/run.out" || { cat "$work/run.out"; return 1; }
}

refused() { # want-message args...: exit status 2, the message, and no run
	want=$1
	shift
	"$perf" -r "$trid" -t 1 "$@" >"$work/bad.out" 2>&1
	rc=$?
	[ $rc -eq 2 ] && grep -q -- "$want" "$work/bad.out" && ! grep -q "^Total " "$work/bad.out" ||
		{ echo "  exit $rc:"; sed 's/^/  | /' "$work/bad.out"; return 1; }
}

# 2048 buffers of 1 MiB in a 1.5 GB address space: the machine has the
# memory (or is told apart), the process cannot have it.
buffers_in_1500mb() {
	(
		ulimit -v 1500000
		refused "no memory for -q 2048 buffers of -o 1048576\\|need 2048 MiB of buffers" \
			-q 2048 -o 1m
	)
}

check "usk_tgt starts" start_tgt -m "[$first_core]"
check "  exports a malloc namespace on 127.0.0.1:$port" setup_target
check "usk_nvme_perf -V over NVMe/TCP passes" verify_run
check "a namespace listed twice is refused" refused "namespace 1 is listed twice" -n 1,1 -V
check "core $forbidden, which this process may not use, is refused" \
	refused "core $forbidden is not one this process may run on" -c "[$first_core,$forbidden]"
check "buffers the process cannot have are refused, saying so" buffers_in_1500mb
# 4095 buffers of 128 MiB (512 GiB): more than a test machine has. Without
# the ulimit, a miss would feed the kernel's OOM killer.
beyond_the_machine() {
	(
		ulimit -v 4000000
		refused "need 524160 MiB of buffers; this machine has " -q 4095 -o 128m
	)
}
check "buffers beyond the machine's memory are refused before any is allocated" beyond_the_machine
check "usk_tgt stops cleanly" stop_tgt

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; sed 's/^/  tgt| /' "$work/tgt.log" | tail -50; exit 1; }
