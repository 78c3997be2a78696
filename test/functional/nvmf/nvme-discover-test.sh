#!/bin/sh
# On the host, no VM: usk_nvme discover, USK's initiator, against usk_tgt's
# discovery subsystem on 127.0.0.1. usk_tgt exports a malloc bdev in one
# subsystem any host may use and a second one only for another host NQN;
# discover lists what the asking host may reach (nvme-cli's lines and JSON),
# the generation counter moves when a listener is added, and usk_nvme
# id-ctrl, id-ns and list reach the subsystem through the transport ID made
# of a listed entry. Bad command lines and unreachable addresses get exit
# status 2 and a message that names the fix.
set -u
: "${top_builddir:?run by make check, which sets it}" "${top_srcdir:?run by make check, which sets it}"
tgt="$top_builddir/app/tgt/usk_tgt"
rpc_call="$top_builddir/test/functional/tgt/rpc_call"
usk_nvme="$top_builddir/app/nvme/usk_nvme"
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
nqn1=nqn.2016-06.io.spdk:cnode1
nqn2=nqn.2016-06.io.spdk:cnode2
other_host=nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-0000000000cc
cores=$(python3 -c 'import os; print(",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:2]))')
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
port2=$(free_port)
closed=$(free_port)

# shellcheck source=test/functional/lib.sh
. "$top_srcdir/test/functional/lib.sh"

listener() { # nqn port
	rpc nvmf_subsystem_add_listener "{\"nqn\": \"$1\", \"listen_address\":
		{\"trtype\": \"TCP\", \"adrfam\": \"IPv4\", \"traddr\": \"127.0.0.1\", \"trsvcid\": \"$2\"}}"
}

setup_target() {
	rpc bdev_malloc_create '{"name": "Malloc0", "num_blocks": 65536, "block_size": 512}' &&
		rpc bdev_malloc_create '{"name": "Malloc1", "num_blocks": 2048, "block_size": 512}' &&
		rpc nvmf_create_transport '{"trtype": "TCP"}' &&
		rpc nvmf_create_subsystem "{\"nqn\": \"$nqn1\", \"serial_number\": \"USK0001\",
			\"allow_any_host\": true}" &&
		rpc nvmf_subsystem_add_ns "{\"nqn\": \"$nqn1\", \"namespace\": {\"bdev_name\": \"Malloc0\"}}" &&
		listener "$nqn1" "$port" &&
		rpc nvmf_create_subsystem "{\"nqn\": \"$nqn2\", \"serial_number\": \"USK0002\"}" &&
		rpc nvmf_subsystem_add_host "{\"nqn\": \"$nqn2\", \"host\": \"$other_host\"}" &&
		rpc nvmf_subsystem_add_ns "{\"nqn\": \"$nqn2\", \"namespace\": {\"bdev_name\": \"Malloc1\"}}" &&
		listener "$nqn2" "$port"
}

discover() { # [options]: usk_nvme discover on 127.0.0.1:$port into $work/disc.out
	"$usk_nvme" discover -t tcp -a 127.0.0.1 -s "$port" "$@" >"$work/disc.out" 2>"$work/disc.err" ||
		{ cat "$work/disc.out" "$work/disc.err"; return 1; }
}

# nvme-cli's normal output: one entry, for the subsystem this host may use, at its address.
lists_cnode1() {
	grep -q "^Discovery Log Number of Records 1, Generation counter [0-9]" "$work/disc.out" &&
		grep -q "^=====Discovery Log Entry 0======" "$work/disc.out" &&
		grep -q "^trtype:  tcp$" "$work/disc.out" && grep -q "^adrfam:  ipv4$" "$work/disc.out" &&
		grep -q "^subtype: nvme subsystem$" "$work/disc.out" &&
		grep -q "^treq:    not required$" "$work/disc.out" &&
		grep -q "^trsvcid: $port$" "$work/disc.out" && grep -q "^subnqn:  $nqn1$" "$work/disc.out" &&
		grep -q "^traddr:  127.0.0.1$" "$work/disc.out" && grep -q "^sectype: none$" "$work/disc.out" ||
		{ cat "$work/disc.out"; return 1; }
}

# -o json: genctr and records as nvme-cli's; prints "genctr subnqn..." sorted.
json_records() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["genctr"], " ".join(sorted("%s,%s,%s,%s,%s" % (r["trtype"], r["adrfam"], r["traddr"],
	r["trsvcid"], r["subnqn"]) for r in d["records"])))' "$work/disc.out"
}

json_lists() { # want: what json_records prints after the genctr
	got=$(json_records | cut -d' ' -f2-)
	[ "$got" = "$1" ] || { echo "got '$got', want '$1'"; return 1; }
}

genctr() {
	sed -n 's/^Discovery Log Number of Records [0-9]*, Generation counter \([0-9]*\)$/\1/p' "$work/disc.out"
}

# The transport ID of the first listed entry for $1, as usk_nvme takes it.
listed_trid() {
	python3 -c 'import json, sys
for r in json.load(open(sys.argv[1]))["records"]:
	if r["subnqn"] == sys.argv[2]:
		print("trtype:%s adrfam:%s traddr:%s trsvcid:%s subnqn:%s" % (r["trtype"], r["adrfam"],
			r["traddr"], r["trsvcid"], r["subnqn"]))
		break' "$work/disc.out" "$1"
}

id_ctrl_through_entry() {
	trid=$(listed_trid "$nqn1")
	[ -n "$trid" ] || return 1
	"$usk_nvme" id-ctrl --trid "$trid" >"$work/id.out" 2>&1 &&
		grep -q "^sn      : USK0001$" "$work/id.out" && grep -q "^nn      : " "$work/id.out" ||
		{ cat "$work/id.out"; return 1; }
	"$usk_nvme" id-ns "$trid" -n 1 >"$work/ns.out" 2>&1 &&
		grep -q "^nsze    : 0x10000$" "$work/ns.out" || { cat "$work/ns.out"; return 1; }
	"$usk_nvme" list --trid "$trid" >"$work/list.out" 2>&1 &&
		grep -q "^127.0.0.1:$port .* ns 1: 65536 blocks of 512 bytes" "$work/list.out" &&
		"$usk_nvme" list --trid "$trid" -o json >"$work/list.json" 2>&1 &&
		grep -q "\"DevicePath\": *\"127.0.0.1:$port\"" "$work/list.json" ||
		{ cat "$work/list.out" "$work/list.json"; return 1; }
}

refused() { # want-message args...: exit status 2 and the message on stderr
	want=$1
	shift
	"$usk_nvme" "$@" >"$work/bad.out" 2>&1
	rc=$?
	[ $rc -eq 2 ] && grep -q -- "$want" "$work/bad.out" ||
		{ echo "exit $rc:"; cat "$work/bad.out"; return 1; }
}

check "usk_tgt starts on cores $cores" start_tgt -m "[$cores]"
check "  two subsystems on 127.0.0.1:$port, the second for another host only" setup_target
check "usk_nvme discover lists the subsystem this host may use" discover
check "  as nvme-cli prints it" lists_cnode1
check "  -o json gives the same entry" sh -c "'$usk_nvme' discover -t tcp -a 127.0.0.1 -s $port -o json >'$work/disc.out'"
check "  as nvme-cli's JSON" json_lists "tcp,ipv4,127.0.0.1,$port,$nqn1"
check "-q with the other host's NQN lists both" discover -q "$other_host" -o json
check "  both subsystems" json_lists "tcp,ipv4,127.0.0.1,$port,$nqn1 tcp,ipv4,127.0.0.1,$port,$nqn2"
check "  --trid of the discovery controller works as -t/-a/-s do" sh -c \
	"'$usk_nvme' discover --trid 'trtype:TCP traddr:127.0.0.1 trsvcid:$port' | grep -q '^subnqn:  $nqn1$'"
check "  with header and data digests too" discover -g -G
check "a listener added moves the generation counter" sh -c "
	discover() { '$usk_nvme' discover -t tcp -a 127.0.0.1 -s $port >'$work/disc.out'; }
	discover && before=\$(sed -n 's/.*Generation counter //p' '$work/disc.out') &&
	'$rpc_call' '$work/tgt.sock' nvmf_subsystem_add_listener '{\"nqn\": \"$nqn1\", \"listen_address\":
		{\"trtype\": \"TCP\", \"adrfam\": \"IPv4\", \"traddr\": \"127.0.0.1\", \"trsvcid\": \"$port2\"}}' >/dev/null &&
	discover && after=\$(sed -n 's/.*Generation counter //p' '$work/disc.out') &&
	[ \"\$after\" -gt \"\$before\" ] && grep -q '^Discovery Log Number of Records 2,' '$work/disc.out' &&
	grep -q '^trsvcid: $port2$' '$work/disc.out'"
check "  and the new port answers discover itself" sh -c \
	"'$usk_nvme' discover -t tcp -a 127.0.0.1 -s $port2 | grep -q '^trsvcid: $port2$'"
check "usk_nvme id-ctrl, id-ns and list through a listed entry's transport ID" sh -c \
	"'$usk_nvme' discover -t tcp -a 127.0.0.1 -s $port -o json >'$work/disc.out'" &&
	check "  (the I/O subsystem: its serial, its 64Ki-block namespace)" id_ctrl_through_entry
check "discover without -a says what it needs" refused "-t tcp and -a ADDRESS are required" discover -t tcp
check "  -t rdma: TCP only" refused "NVMe/TCP only" discover -t rdma -a 127.0.0.1
check "  a host name is not looked up" refused "IPv4 or IPv6 address" discover -t tcp -a tgt.example
check "  -s 70000 is no port" refused "a port number" discover -t tcp -a 127.0.0.1 -s 70000
check "  --trid and -a together are refused" refused "give the discovery controller once" \
	discover --trid "trtype:TCP traddr:127.0.0.1" -t tcp -a 127.0.0.1
check "  nobody listening: cannot connect" refused "cannot connect" discover -t tcp -a 127.0.0.1 -s "$closed"
check "  an I/O subsystem's address is no discovery controller" refused "is not a discovery controller" \
	discover --trid "trtype:TCP traddr:127.0.0.1 trsvcid:$port subnqn:$nqn1"
check "  --help shows discover" sh -c "'$usk_nvme' discover --help | grep -q 'discover     -t tcp -a ADDRESS'"
check "usk_tgt stops cleanly" stop_tgt

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; sed 's/^/  tgt| /' "$work/tgt.log" | tail -50; exit 1; }
