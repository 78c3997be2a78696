#!/bin/bash
# Guest: usk_tgt exports a malloc bdev (namespace 1) and the emulated SSD
# through an nvme bdev (namespace 2) over NVMe/TCP on 127.0.0.1; the
# kernel's nvme-tcp host is the independent check. nvme discover lists the
# subsystem; nvme connect makes both namespaces block devices; ext4 on one
# keeps files across a remount; fio verifies crc32c through io_uring on
# both; nvme disconnect leaves the target with no controller. Then USK's
# own initiator, polled, in the same guest: usk_nvme discover lists what
# nvme discover did, usk_nvme_perf -V and usk_bdevperf -w verify (through
# bdev_nvme_attach_controller -t TCP) run against both namespaces.
set -u
. /usk/tests/lib.sh

nqn=nqn.2016-06.io.spdk:cnode1
hostnqn=nqn.2014-08.org.nvmexpress:uuid:6b1f0e6c-4b0b-4c58-9d1e-2f3a4b5c6d7e
sock=/tmp/usk.sock

HUGEMEM=128 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
bdf=$(nvme_bdfs | head -n 1)
ip link set lo up || fail "cannot bring the loopback interface up"
modprobe nvme-tcp || fail "the guest kernel has no nvme-tcp module"

rpc() {
	/usk/bin/rpc_call "$sock" "$@" >/tmp/rpc.out 2>&1 || { cat /tmp/rpc.out; fail "rpc $1"; }
}

/usk/bin/usk_tgt -m 0x3 -r "$sock" >/tmp/tgt.log 2>&1 &
tgt=$!
wait_for "[ -S $sock ] && /usk/bin/rpc_call $sock framework_wait_init >/dev/null 2>&1" 600 ||
	{ cat /tmp/tgt.log; fail "usk_tgt did not start"; }
rpc bdev_malloc_create '{"name": "Malloc0", "num_blocks": 65536, "block_size": 512}'
rpc bdev_nvme_attach_controller "{\"name\": \"Nvme0\", \"trtype\": \"PCIe\", \"traddr\": \"$bdf\"}"
rpc nvmf_create_transport '{"trtype": "TCP"}'
rpc nvmf_create_subsystem "{\"nqn\": \"$nqn\", \"serial_number\": \"USKVM0001\"}"
rpc nvmf_subsystem_add_host "{\"nqn\": \"$nqn\", \"host\": \"$hostnqn\"}"
rpc nvmf_subsystem_add_ns "{\"nqn\": \"$nqn\", \"namespace\": {\"bdev_name\": \"Malloc0\"}}"
rpc nvmf_subsystem_add_ns "{\"nqn\": \"$nqn\", \"namespace\": {\"bdev_name\": \"Nvme0n1\"}}"
rpc nvmf_subsystem_add_listener "{\"nqn\": \"$nqn\", \"listen_address\": {\"trtype\": \"TCP\",
	\"adrfam\": \"IPv4\", \"traddr\": \"127.0.0.1\", \"trsvcid\": \"4420\"}}"
echo "usk_tgt exports Malloc0 and Nvme0n1 as $nqn on 127.0.0.1:4420"

nvme discover -t tcp -a 127.0.0.1 -s 4420 --hostnqn="$hostnqn" >/tmp/disc 2>&1 ||
	{ cat /tmp/disc; fail "nvme discover"; }
grep -q "subnqn: *$nqn" /tmp/disc || { cat /tmp/disc; fail "discovery log does not list $nqn"; }
echo "nvme discover lists $nqn"
# nvme-cli's fields of each entry, as both tools print them.
disc_fields() {
	grep -E '^(trtype|adrfam|subtype|treq|portid|trsvcid|subnqn|traddr):' "$1"
}
/usk/bin/usk_nvme discover -t tcp -a 127.0.0.1 -s 4420 -q "$hostnqn" >/tmp/usk-disc 2>&1 ||
	{ cat /tmp/usk-disc; fail "usk_nvme discover"; }
disc_fields /tmp/disc >/tmp/disc.f
disc_fields /tmp/usk-disc >/tmp/usk-disc.f
cmp -s /tmp/disc.f /tmp/usk-disc.f || { diff /tmp/disc.f /tmp/usk-disc.f; fail "usk_nvme discover and nvme discover differ"; }
echo "usk_nvme discover prints the entries nvme discover does"

nvme connect -t tcp -a 127.0.0.1 -s 4420 -n "$nqn" --hostnqn="$hostnqn" >/tmp/conn 2>&1 ||
	{ cat /tmp/conn; dmesg | tail -20; cat /tmp/tgt.log; fail "nvme connect"; }

# The block devices of the subsystem's namespaces, by NSID (sysfs, not nvme-cli).
ns_dev() {
	local b
	for b in /sys/block/nvme*n*; do
		# nvmeXcYnZ is one controller's path, hidden; the disk is the head, nvmeXnZ.
		case ${b##*/} in *c*) continue ;; esac
		[ -e "$b" ] || continue
		[ "$(cat "$b/nsid" 2>/dev/null)" = "$1" ] || continue
		grep -qx "$nqn" "$b/device/subsysnqn" 2>/dev/null ||
			grep -qx "$nqn" "$b"/device/*/subsysnqn 2>/dev/null || continue
		echo "${b##*/}"
		return 0
	done
	return 1
}
wait_for "ns_dev 1 >/dev/null && ns_dev 2 >/dev/null" 300 ||
	{ ls /sys/block; dmesg | tail -30; fail "the namespaces did not appear"; }
d1=$(ns_dev 1) d2=$(ns_dev 2)
[ "$(cat /sys/block/$d1/size)" = 65536 ] || fail "$d1: $(cat /sys/block/$d1/size) sectors, not 65536"
[ "$(cat /sys/block/$d2/size)" = 131072 ] || fail "$d2: $(cat /sys/block/$d2/size) sectors, not 131072"
echo "nvme connect: /dev/$d1 (Malloc0, 32 MiB) and /dev/$d2 (Nvme0n1, 64 MiB)"

mkfs.ext4 -q -F "/dev/$d1" >/tmp/mkfs 2>&1 || { cat /tmp/mkfs; fail "mkfs.ext4 /dev/$d1"; }
mkdir -p /mnt/t
mount -t ext4 "/dev/$d1" /mnt/t || fail "mount /dev/$d1"
for i in 1 2 3; do
	head -c $((3 * 1024 * 1024 + i * 4096 + 17)) /dev/urandom >/tmp/f$i
	cp /tmp/f$i /mnt/t/f$i || fail "write f$i"
done
sync
umount /mnt/t || fail "umount"
echo 3 >/proc/sys/vm/drop_caches
mount -t ext4 "/dev/$d1" /mnt/t || fail "mount again"
for i in 1 2 3; do
	cmp /tmp/f$i /mnt/t/f$i || fail "f$i differs after a remount"
done
umount /mnt/t
echo "ext4 on /dev/$d1: three files written, synced, read back the same after a remount"

for d in "$d2" "$d1"; do
	fio --name=verify --filename="/dev/$d" --ioengine=io_uring --direct=1 --rw=randwrite \
		--bs=4k --size=16M --iodepth=16 --verify=crc32c --do_verify=1 \
		--verify_fatal=1 >/tmp/fio 2>&1 || { cat /tmp/fio; fail "fio verify on /dev/$d"; }
	grep -q "err= 0" /tmp/fio || { cat /tmp/fio; fail "fio on /dev/$d reported an error"; }
	echo "fio io_uring randwrite + crc32c verify on /dev/$d: no error"
done
fio --name=big --filename="/dev/$d2" --ioengine=io_uring --direct=1 --rw=write --bs=128k \
	--size=16M --iodepth=8 --verify=crc32c --do_verify=1 --verify_fatal=1 >/tmp/fio 2>&1 ||
	{ cat /tmp/fio; fail "fio 128 KiB verify on /dev/$d2"; }
echo "fio io_uring 128 KiB writes + crc32c verify on /dev/$d2: no error"

nvme disconnect -n "$nqn" >/tmp/disc 2>&1 || { cat /tmp/disc; fail "nvme disconnect"; }
grep -q "disconnected 1 controller" /tmp/disc || { cat /tmp/disc; fail "nvme disconnect: $(cat /tmp/disc)"; }
wait_for "! ns_dev 1 >/dev/null" 100 || fail "the namespaces stayed after the disconnect"
wait_for "grep -q 'is gone' /tmp/tgt.log" 100 || { cat /tmp/tgt.log; fail "usk_tgt kept the controller"; }
echo "nvme disconnect: the devices went, and usk_tgt freed the controller"

# USK's initiator against USK's target: both namespaces, verified.
trid="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:$nqn hostnqn:$hostnqn"
/usk/bin/usk_nvme_perf -r "$trid" -q 16 -o 4096 -w randrw -M 50 -t 5 -V >/tmp/perf 2>&1 ||
	{ cat /tmp/perf; tail -20 /tmp/tgt.log; fail "usk_nvme_perf -V against usk_tgt"; }
for ns in 1 2; do
	grep -q "^TCP (127.0.0.1:4420) NSID $ns" /tmp/perf || { cat /tmp/perf; fail "usk_nvme_perf: no NSID $ns row"; }
done
cat /tmp/perf
cat >/tmp/tcp.json <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_nvme_attach_controller", "params": {"name": "Tcp0", "trtype": "TCP",
   "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "4420", "subnqn": "$nqn",
   "hostnqn": "$hostnqn"}}]}]}
JSON
/usk/bin/usk_bdevperf --json /tmp/tcp.json -q 16 -o 4096 -w verify -t 5 >/tmp/bdevperf 2>&1 ||
	{ cat /tmp/bdevperf; tail -20 /tmp/tgt.log; fail "usk_bdevperf -w verify against usk_tgt"; }
for b in Tcp0n1 Tcp0n2; do
	grep -Eq "^$b " /tmp/bdevperf || { cat /tmp/bdevperf; fail "usk_bdevperf: no $b row"; }
done
cat /tmp/bdevperf
echo "USK's initiator against usk_tgt: usk_nvme_perf -V and usk_bdevperf -w verify on Malloc0 and Nvme0n1"
/usk/bin/rpc_call "$sock" spdk_kill_instance '{"sig_name": "SIGTERM"}' >/dev/null
wait $tgt || { cat /tmp/tgt.log; fail "usk_tgt exited $?"; }
grep "] error: " /tmp/tgt.log && fail "usk_tgt logged errors"
echo "usk_tgt stopped cleanly"
