#!/bin/bash
# Guest: Linux's NVMe/TCP target (nvmet, nvmet-tcp, set up through
# configfs: a file-backed namespace, a port on 127.0.0.1:4420, any host
# allowed) is the independent check of USK's initiator: usk_nvme identifies
# it and writes blocks that are then read straight from the target's file;
# usk_nvme_perf -V and usk_bdevperf -w verify (through
# bdev_nvme_attach_controller -t TCP) write, read back and compare.
# usk_nvme discover reads the kernel's discovery log (seven subsystems on
# the port: more than one page) and lists what configfs set up.
set -u
. /usk/tests/lib.sh

nqn=nqn.2026-12.io.usk:tcp-initiator
trid="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:$nqn"
cfg=/sys/kernel/config/nvmet

ip link set lo up || fail "loopback up"
modprobe nvmet && modprobe nvmet-tcp || fail "modprobe nvmet nvmet-tcp"
grep -q " /sys/kernel/config " /proc/mounts || mount -t configfs none /sys/kernel/config ||
	fail "mount configfs"
truncate -s 64M /tmp/ns.img
mkdir "$cfg/subsystems/$nqn" || fail "nvmet subsystem"
echo 1 >"$cfg/subsystems/$nqn/attr_allow_any_host"
mkdir "$cfg/subsystems/$nqn/namespaces/1"
echo -n /tmp/ns.img >"$cfg/subsystems/$nqn/namespaces/1/device_path"
# tmpfs has no O_DIRECT: the file goes through the page cache.
echo 1 >"$cfg/subsystems/$nqn/namespaces/1/buffered_io"
echo 1 >"$cfg/subsystems/$nqn/namespaces/1/enable" || fail "nvmet namespace enable"
mkdir "$cfg/ports/1"
echo ipv4 >"$cfg/ports/1/addr_adrfam"
echo tcp >"$cfg/ports/1/addr_trtype"
echo 127.0.0.1 >"$cfg/ports/1/addr_traddr"
echo 4420 >"$cfg/ports/1/addr_trsvcid"
ln -s "$cfg/subsystems/$nqn" "$cfg/ports/1/subsystems/$nqn" || fail "nvmet port"
# Six more subsystems on the port, without namespaces: the log is then 1 KiB
# of header and eight entries at least, past one 4 KiB read.
for i in 1 2 3 4 5 6; do
	mkdir "$cfg/subsystems/$nqn-$i" || fail "nvmet subsystem $i"
	echo 1 >"$cfg/subsystems/$nqn-$i/attr_allow_any_host"
	ln -s "$cfg/subsystems/$nqn-$i" "$cfg/ports/1/subsystems/$nqn-$i" || fail "nvmet port $i"
done

# usk_nvme discover against the kernel's discovery controller: an entry,
# at the port's address, for each subsystem configfs linked to the port.
usk_nvme discover -t tcp -a 127.0.0.1 -s 4420 >/tmp/disc 2>&1 || fail "usk_nvme discover: $(cat /tmp/disc)"
cat /tmp/disc
entries() { # the discover output's entries, one line each: subtype|subnqn|trtype|adrfam|traddr|trsvcid
	awk '/^[a-z]+: / { k = $0; sub(/:.*/, "", k); v = $0; sub(/^[a-z]+: */, "", v); f[k] = v }
		/^traddr: / { print f["subtype"] "|" f["subnqn"] "|" f["trtype"] "|" f["adrfam"] "|" f["traddr"] "|" f["trsvcid"] }' "$1"
}
port_addr="tcp|$(cat $cfg/ports/1/addr_adrfam)|$(cat $cfg/ports/1/addr_traddr)|$(cat $cfg/ports/1/addr_trsvcid)"
want=$(for s in "$cfg"/ports/1/subsystems/*; do echo "nvme subsystem|${s##*/}|$port_addr"; done | sort)
got=$(entries /tmp/disc | grep "^nvme subsystem|" | sort)
[ "$got" = "$want" ] || fail "usk_nvme discover lists
$got
where configfs has
$want"
records=$(sed -n 's/^Discovery Log Number of Records \([0-9]*\),.*/\1/p' /tmp/disc)
[ "$records" = "$(entries /tmp/disc | wc -l)" ] || fail "discover: $records records, $(entries /tmp/disc | wc -l) printed"
[ "$records" -ge 7 ] || fail "discover: $records records, the port has 7 subsystems"
# Any other entry is the discovery subsystem's own, at the same address.
entries /tmp/disc | grep -v "^nvme subsystem|" | grep -v "^current discovery subsystem|nqn.2014-08.org.nvmexpress.discovery|$port_addr$" &&
	fail "discover lists an entry configfs did not set up"
usk_nvme discover -t tcp -a 127.0.0.1 -s 4420 -o json >/tmp/disc.json 2>&1 || fail "discover -o json: $(cat /tmp/disc.json)"
[ "$(grep -c '"subnqn"' /tmp/disc.json)" = "$records" ] || fail "discover -o json: $(cat /tmp/disc.json)"
echo "usk_nvme discover: $records entries, those of the $(echo "$want" | wc -l) subsystems configfs put on the port"

# Identify through properties and Fabrics Connect: the kernel's target says "Linux".
usk_nvme id-ctrl --trid "$trid" >/tmp/id 2>&1 || fail "id-ctrl over TCP: $(cat /tmp/id)"
grep -q "^mn .*: Linux" /tmp/id || fail "id-ctrl: $(cat /tmp/id)"
usk_nvme id-ns --trid "$trid" -n 1 >/tmp/ns 2>&1 || fail "id-ns over TCP: $(cat /tmp/ns)"
lbads=$(sed -n 's/^lbads *: \([0-9]*\).*/\1/p' /tmp/ns)
[ -n "$lbads" ] || fail "id-ns: no lbads: $(cat /tmp/ns)"
bs=$((1 << lbads))

# 64 KiB written by USK land in the target's file where the kernel put them.
head -c 65536 /dev/urandom >/tmp/w
usk_nvme write --trid "$trid" -n 1 -s 100 -c $((65536 / bs - 1)) -d /tmp/w | grep -q "write: Success" ||
	fail "write over TCP"
dd if=/tmp/ns.img of=/tmp/f bs=$bs skip=100 count=$((65536 / bs)) 2>/dev/null
cmp /tmp/w /tmp/f || fail "the target's file differs from what was written over TCP"
usk_nvme read --trid "$trid" -n 1 -s 100 -c $((65536 / bs - 1)) -d /tmp/r | grep -q "read: Success" ||
	fail "read over TCP"
cmp /tmp/w /tmp/r || fail "read back over TCP differs"

# Verified random I/O from usk_nvme_perf.
/usk/bin/usk_nvme_perf -r "$trid" -q 16 -o 4096 -w randrw -M 50 -t 5 -V >/tmp/perf 2>&1 ||
	fail "usk_nvme_perf -V over TCP: $(cat /tmp/perf)"
grep -q "^TCP (127.0.0.1:4420) NSID 1" /tmp/perf || fail "usk_nvme_perf: $(cat /tmp/perf)"
cat /tmp/perf

# usk_bdevperf through bdev_nvme_attach_controller -t TCP, as SPDK's configs
# write it: without digests, then with header and data digests (the kernel
# checks ours, USK checks the kernel's).
for digests in false true; do
	cat >/tmp/tcp.json <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_nvme_attach_controller", "params": {"name": "Nvme0", "trtype": "TCP",
   "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "4420", "subnqn": "$nqn",
   "hdgst": $digests, "ddgst": $digests}}]}]}
JSON
	/usk/bin/usk_bdevperf --json /tmp/tcp.json -q 16 -o 4096 -w verify -t 5 >/tmp/bdevperf 2>&1 ||
		fail "usk_bdevperf -w verify over TCP, digests $digests: $(cat /tmp/bdevperf)"
	grep -Eq "^Nvme0n1 " /tmp/bdevperf || fail "usk_bdevperf: no Nvme0n1 row: $(cat /tmp/bdevperf)"
	cat /tmp/bdevperf
done
echo "PASS: USK's NVMe/TCP initiator against Linux's nvmet-tcp"
