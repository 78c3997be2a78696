#!/bin/sh
# On the host, no VM: usk_tgt exports a malloc bdev over NVMe/TCP on
# 127.0.0.1, set up by SPDK's RPC methods, and a small host written from
# the specifications (nvmf_tcp_host.py) talks to it: ICReq, Connect,
# Property Get/Set, Identify, writes (in-capsule and by R2T) read back the
# same, with and without digests; PDUs that break the protocol end their
# own connection while another keeps its answers; a host not on the
# subsystem's list is refused with the Connect error the spec names. Then
# save_config's output, given to a new usk_tgt as its JSON config, builds
# the same target.
set -u
: "${top_builddir:?run by make check, which sets it}" "${top_srcdir:?run by make check, which sets it}"
tgt="$top_builddir/app/tgt/usk_tgt"
rpc_call="$top_builddir/test/functional/tgt/rpc_call"
host="$top_srcdir/test/functional/nvmf/nvmf_tcp_host.py"
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
nqn=nqn.2016-06.io.spdk:cnode1
hostnqn=nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-0000000000aa
cores=$(python3 -c 'import os; print(",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:2]))')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# shellcheck source=test/functional/lib.sh
. "$top_srcdir/test/functional/lib.sh"

setup_target() {
	rpc bdev_malloc_create '{"name": "Malloc0", "num_blocks": 65536, "block_size": 512}' &&
		rpc nvmf_create_transport '{"trtype": "TCP"}' &&
		rpc nvmf_create_subsystem "{\"nqn\": \"$nqn\", \"serial_number\": \"USK0001\"}" &&
		rpc nvmf_subsystem_add_host "{\"nqn\": \"$nqn\", \"host\": \"$hostnqn\"}" &&
		rpc nvmf_subsystem_add_ns "{\"nqn\": \"$nqn\", \"namespace\": {\"bdev_name\": \"Malloc0\"}}" &&
		rpc nvmf_subsystem_add_listener "{\"nqn\": \"$nqn\", \"listen_address\":
			{\"trtype\": \"TCP\", \"adrfam\": \"IPv4\", \"traddr\": \"127.0.0.1\",
			 \"trsvcid\": \"$port\"}}"
}

run_host() { # scenario [args]
	python3 "$host" 127.0.0.1 "$port" "$nqn" "$@" >"$work/host.out" 2>&1
	rc=$?
	sed 's/^/  | /' "$work/host.out"
	return $rc
}

check "usk_tgt starts on cores $cores" start_tgt -m "[$cores]"
check "  a malloc bdev is exported over TCP in six RPC calls" setup_target
check "  nvmf_get_subsystems lists it with its namespace and listener" sh -c \
	"'$rpc_call' '$work/tgt.sock' nvmf_get_subsystems | grep -q '\"bdev_name\": *\"Malloc0\"' &&
	 '$rpc_call' '$work/tgt.sock' nvmf_get_subsystems | grep -q '\"trsvcid\": *\"$port\"'"
check "  a second nvmf_create_transport is refused" sh -c \
	"! '$rpc_call' '$work/tgt.sock' nvmf_create_transport '{\"trtype\": \"TCP\"}' >/dev/null"
check "a host connects, identifies, writes and reads back" run_host io
check "the same with header and data digests" run_host io-digests
check "malformed PDUs close only their own connection" run_host malformed
check "  the target logged why it closed each" grep -q "closing the connection: header digest error" "$work/tgt.log"
check "a host not allowed in is refused" run_host denied nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-0000000000bb
check "save_config writes the target back" sh -c \
	"'$rpc_call' '$work/tgt.sock' save_config >'$work/config.json' &&
	 grep -q nvmf_subsystem_add_listener '$work/config.json'"
check "usk_tgt stops cleanly" stop_tgt
check "a new usk_tgt started from that config" start_tgt -m "[$cores]" -c "$work/config.json"
check "  serves the same subsystem and namespace again" run_host io
check "  nvmf_delete_subsystem removes it" rpc nvmf_delete_subsystem "{\"nqn\": \"$nqn\"}"
check "  and a Connect to it is refused then" sh -c "! python3 '$host' 127.0.0.1 '$port' '$nqn' io >/dev/null 2>&1"
check "  and it stops cleanly" stop_tgt

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; sed 's/^/  tgt| /' "$work/tgt.log" | tail -50; exit 1; }
