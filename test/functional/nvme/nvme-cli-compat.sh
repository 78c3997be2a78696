#!/bin/bash
# Guest: the same nvme-cli command lines through nvme-cli on the kernel's
# driver and through usk_nvme on vfio-pci, on one controller (MDTS 64 KiB;
# namespace 1: 4 KiB blocks, namespace 2: 4 KiB + 8 bytes of separate
# metadata, namespace 3: 512 + 8 bytes extended, PI type 1). Their JSON agrees (id-ctrl, id-ns, error-log and list
# exactly, smart-log on what cannot change between the runs); data and
# metadata written by one tool read back equal through the other; a
# transfer above MDTS, which the kernel refuses, usk_nvme splits, each
# command with the reference tag of its first block.
set -u
. /usk/tests/lib.sh

bdf=$(nvme_bdfs | head -n 1)
ctrl=$(basename /sys/bus/pci/devices/$bdf/nvme/nvme*)
ns_dev() { basename "$(ls -d /sys/class/nvme-subsystem/*/"$ctrl" | xargs dirname)"/nvme*n$1; }
ns1=/dev/$(ns_dev 1)
ns2=/dev/$(ns_dev 2)
ns3=/dev/$(ns_dev 3)
[ -b "$ns1" ] && [ -b "$ns2" ] && [ -b "$ns3" ] || fail "the kernel shows no $ns1, $ns2 and $ns3"
k=/tmp/kernel
u=/tmp/usk
mkdir -p $k $u

# The JSON of every command, as each tool prints it.
json_commands() { # TOOL CTRL NS1 NS2 NS3 DIR
	local d=$6
	"$1" id-ctrl "$2" -o json >$d/id-ctrl.json || fail "$1 id-ctrl"
	"$1" id-ns "$3" -n 1 -o json >$d/id-ns1.json || fail "$1 id-ns -n 1"
	"$1" id-ns "$4" --namespace-id=2 --output-format=json >$d/id-ns2.json || fail "$1 id-ns -n 2"
	"$1" id-ns "$5" -n 3 -o json >$d/id-ns3.json || fail "$1 id-ns -n 3"
	"$1" smart-log "$2" -o json >$d/smart-log.json || fail "$1 smart-log"
	"$1" smart-log "$2" -H -o json >$d/smart-log-h.json || fail "$1 smart-log -H"
	"$1" error-log "$2" -o json >$d/error-log.json || fail "$1 error-log"
	"$1" error-log "$2" -e 2 -o json >$d/error-log-2.json || fail "$1 error-log -e 2"
	"$1" list -o json >$d/list.json || fail "$1 list"
}

# Data written by nvme-cli, read later by usk_nvme: namespace 1 data, namespace 2 data + metadata.
head -c $((8 * 4096)) /dev/urandom >/tmp/k1
head -c $((8 * 4096)) /dev/urandom >/tmp/k2
head -c $((8 * 8)) /dev/urandom >/tmp/k2md
json_commands nvme /dev/$ctrl "$ns1" "$ns2" "$ns3" $k
nvme write "$ns1" -s 100 -c 7 -z 32768 -d /tmp/k1 || fail "nvme write on namespace 1"
nvme write "$ns2" -n 2 -s 10 -c 7 -z 32768 -y 64 -d /tmp/k2 -M /tmp/k2md ||
	fail "nvme write with separate metadata"
# The kernel refuses what is above MDTS; usk_nvme splits it (below).
head -c $((256 * 4096)) /dev/urandom >/tmp/u1
nvme write "$ns1" -s 1000 -c 255 -z 1048576 -d /tmp/u1 >/dev/null 2>&1 &&
	echo "note: nvme-cli's 1 MiB write passed the kernel's MDTS limit"

HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
json_commands usk_nvme $bdf $bdf $bdf $bdf $u

same() { # FILE JQ-FILTER: the filter's output is the same for both tools
	diff <(jq -S "$2" $k/$1) <(jq -S "$2" $u/$1) >/tmp/diff || fail "$1 differs: $(cat /tmp/diff)"
}
for f in id-ctrl.json id-ns1.json id-ns2.json id-ns3.json error-log.json error-log-2.json; do
	same $f .
done
# -e asks for at most the ELPE + 1 entries the controller keeps.
[ "$(jq '.errors | length' $u/error-log-2.json)" = "$(jq '[.elpe + 1, 2] | min' $u/id-ctrl.json)" ] ||
	fail "error-log -e 2: $(jq '.errors | length' $u/error-log-2.json) entries"
# list: nvme-cli's DevicePath is the block device, usk_nvme's the PCI address.
same list.json '.Devices | map(del(.DevicePath)) | sort_by(.NameSpace)'
[ "$(jq -r '.Devices[0].DevicePath' $u/list.json)" = "$bdf" ] || fail "usk_nvme list: DevicePath"
# smart-log: the same members; what the runs cannot change is equal, the
# counters only grow, the temperature stays within 5 K.
same smart-log.json 'keys'
same smart-log-h.json '.critical_warning'
same smart-log.json 'del(.temperature, .data_units_read, .data_units_written,
	.host_read_commands, .host_write_commands, .controller_busy_time, .power_on_hours)'
for c in data_units_read data_units_written host_read_commands host_write_commands; do
	[ "$(jq -r .$c $u/smart-log.json)" -ge "$(jq -r .$c $k/smart-log.json)" ] ||
		fail "smart-log $c went down"
done
t_k=$(jq .temperature $k/smart-log.json)
t_u=$(jq .temperature $u/smart-log.json)
[ $((t_u - t_k)) -le 5 ] && [ $((t_k - t_u)) -le 5 ] || fail "temperature $t_k K, then $t_u K"

# What nvme-cli wrote, read through usk_nvme with the same options.
usk_nvme read $bdf -s 100 -c 7 -z 32768 -d /tmp/r1 | grep -q "read: Success" || fail "usk_nvme read"
cmp /tmp/k1 /tmp/r1 || fail "usk_nvme reads other data than nvme-cli wrote"
usk_nvme read $bdf -n 2 -s 10 -c 7 -z 32768 -y 64 -d /tmp/r2 -M /tmp/r2md >/dev/null ||
	fail "usk_nvme read with separate metadata"
cmp /tmp/k2 /tmp/r2 || fail "namespace 2: data differs from nvme-cli's"
cmp /tmp/k2md /tmp/r2md || fail "namespace 2: metadata differs from nvme-cli's"

# usk_nvme writes, nvme-cli reads later: 1 MiB, 16 commands at MDTS 64 KiB.
out=$(usk_nvme write $bdf -s 1000 -c 255 -z 1048576 -d /tmp/u1 -v -t) || fail "usk_nvme 1 MiB write"
echo "$out"
echo "$out" | grep -q "^split        : 16 commands of at most 16 blocks" || fail "no split into 16"
echo "$out" | grep -q "^ latency: write: [0-9]* us$" || fail "no --latency line"
head -c $((8 * 4096)) /dev/urandom >/tmp/u2
head -c $((8 * 8)) /dev/urandom >/tmp/u2md
usk_nvme write $bdf --namespace-id=2 --start-block=20 --block-count=7 --data-size=32768 \
	--metadata-size=64 --data=/tmp/u2 --metadata=/tmp/u2md --force-unit-access >/dev/null ||
	fail "usk_nvme write with separate metadata"
# --dry-run sends nothing: block 20 keeps what was just written.
head -c 4096 /dev/zero >/tmp/zero
usk_nvme write $bdf -n 2 -s 20 -c 0 -z 4096 -y 8 -d /tmp/zero -M /tmp/zero -w | grep -q "^opcode       : 01$" ||
	fail "write --dry-run shows no command"
# Namespace 3, PI type 1: the controller inserts the PI (PRACT) of 256
# blocks, 128 KiB in 2 commands; the guard and reference tags read back
# checked (PRCHK) through usk_nvme's 3 commands of 520-byte blocks, and
# through nvme-cli's below.
head -c $((256 * 512)) /dev/urandom >/tmp/u3
usk_nvme write $bdf -n 3 -s 0 -c 255 -p 8 -d /tmp/u3 -v | grep -q "^split        : 2 commands" ||
	fail "PRACT write of 256 blocks in 2 commands"
usk_nvme read $bdf -n 3 -s 0 -c 255 -p 13 -d /tmp/r3 >/dev/null || fail "PRACT read with checks"
cmp /tmp/u3 /tmp/r3 || fail "namespace 3: data differs"
usk_nvme read $bdf -n 3 -s 0 -c 255 -p 5 -z $((256 * 520)) -d /tmp/r3pi -v |
	grep -q "^split        : 3 commands" || fail "checked read of data + PI in 3 commands"
# -z below the blocks' size is rounded up, as nvme-cli does.
usk_nvme read $bdf -s 1000 -c 1 -z 4096 -d /tmp/small 2>&1 | grep -q "Rounding data size to fit block count (8192 bytes)" ||
	fail "no rounding message"

/usk/scripts/setup.sh reset >/dev/null || fail "setup.sh reset"
wait_for "[ -b $ns1 ] && [ -b $ns2 ]" 100 || fail "the block devices did not come back"
for i in $(seq 0 15); do
	nvme read "$ns1" -s $((1000 + 16 * i)) -c 15 -z 65536 -d /tmp/piece$i >/dev/null 2>&1 ||
		fail "nvme read of blocks $((1000 + 16 * i))..+15"
	cat /tmp/piece$i >>/tmp/k3
done
cmp /tmp/u1 /tmp/k3 || fail "nvme-cli reads other data than usk_nvme wrote in 16 commands"
nvme read "$ns2" -n 2 -s 20 -c 7 -z 32768 -y 64 -d /tmp/k4 -M /tmp/k4md >/dev/null 2>&1 ||
	fail "nvme read with separate metadata"
cmp /tmp/u2 /tmp/k4 || fail "namespace 2: nvme-cli reads other data than usk_nvme wrote"
cmp /tmp/u2md /tmp/k4md || fail "namespace 2: nvme-cli reads other metadata than usk_nvme wrote"
# nvme-cli checks the guard and reference tags (its -r: the first block's LBA) of what
# usk_nvme wrote, 64 blocks of data + PI a command, and reads what usk_nvme read.
for i in 0 1 2 3; do
	# nvme-cli opens its output without O_TRUNC: a file of its own each time.
	nvme read "$ns3" -n 3 -s $((64 * i)) -c 63 -z $((64 * 520)) -p 5 -r $((64 * i)) \
		-d /tmp/pi$i >/dev/null 2>&1 || fail "nvme read with PI checks of blocks $((64 * i))..+63"
	cat /tmp/pi$i >>/tmp/k5
done
cmp /tmp/r3pi /tmp/k5 || fail "namespace 3: nvme-cli reads other data + PI than usk_nvme"
echo "PASS: usk_nvme's JSON is nvme-cli's; data and metadata cross between the tools; MDTS split"
