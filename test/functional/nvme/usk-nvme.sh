#!/bin/bash
# Guest: usk_nvme id-ctrl and id-ns report what the kernel's driver reports
# for the same device; data written with usk_nvme write reads back with read.
set -u
. /usk/tests/lib.sh

bdf=$(nvme_bdfs | head -n 1)
ctrl=$(basename /sys/bus/pci/devices/$bdf/nvme/nvme*)
trim() { sed 's/ *$//'; }
k_model=$(trim </sys/class/nvme/$ctrl/model)
k_serial=$(trim </sys/class/nvme/$ctrl/serial)
k_fw=$(trim </sys/class/nvme/$ctrl/firmware_rev)
head_dev=$(basename "$(ls -d /sys/class/nvme-subsystem/*/"$ctrl" | xargs dirname)"/nvme*n1)
k_bytes=$(($(cat /sys/block/$head_dev/size) * 512))
k_lbs=$(cat /sys/block/$head_dev/queue/logical_block_size)
echo "kernel: '$k_model' '$k_serial' '$k_fw' $k_bytes bytes, $k_lbs-byte blocks"

HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
json=$(usk_nvme id-ctrl $bdf -o json) || fail "id-ctrl failed"
echo "$json"
# A JSON member, as text; nvme-cli's strings keep their padding: trim it.
jfield() { echo "$1" | jq -r "$2" | trim; }
[ "$(jfield "$json" .mn)" = "$k_model" ] || fail "model differs from the kernel's"
[ "$(jfield "$json" .sn)" = "$k_serial" ] || fail "serial differs from the kernel's"
[ "$(jfield "$json" .fr)" = "$k_fw" ] || fail "firmware differs from the kernel's"
json=$(usk_nvme id-ns $bdf -n 1 -o json) || fail "id-ns failed"
echo "$json"
# The block size: 2^ds of the LBA format FLBAS names.
block_size() { echo $((1 << $(jfield "$1" '.lbafs[.flbas % 16].ds'))); }
bs=$(block_size "$json")
[ "$bs" = "$k_lbs" ] || fail "block size $bs, the kernel says $k_lbs"
[ $(($(jfield "$json" .nsze) * bs)) -eq "$k_bytes" ] || fail "namespace size differs from the kernel's"
usk_nvme id-ctrl $bdf | grep -q "^mn      : $k_model$" || fail "the normal output lacks the model"
usk_nvme id-ctrl -r "trtype:PCIe traddr:$bdf" | grep -q "^mn      : $k_model$" ||
	fail "id-ctrl -r TRID does not reach the controller"

head -c $((8 * bs)) /dev/urandom >/tmp/in
usk_nvme write $bdf -n 1 -s 100 -c 7 -d /tmp/in | grep -q "write: Success" || fail "write failed"
usk_nvme read $bdf -n 1 -s 100 -c 7 -d /tmp/out | grep -q "read: Success" || fail "read failed"
cmp /tmp/in /tmp/out || fail "read back differs from what was written"
usk_nvme write-zeroes $bdf -n 1 -s 102 -c 1 | grep -q "write-zeroes: Success" || fail "write-zeroes"
usk_nvme dsm $bdf -n 1 -s 106 -c 1 | grep -q "dsm: Success" || fail "dsm"
usk_nvme flush $bdf -n 1 | grep -q "flush: Success" || fail "flush"
usk_nvme read $bdf -n 1 -s 100 -c 7 -d /tmp/out >/dev/null || fail "read after zeroes"
cmp -s -n $((2 * bs)) /tmp/in /tmp/out || fail "blocks 100..101 changed"
[ -z "$(head -c $((4 * bs)) /tmp/out | tail -c $((2 * bs)) | tr -d '\0')" ] || fail "blocks 102..103 are not zero"
[ -z "$(tail -c $((2 * bs)) /tmp/out | tr -d '\0')" ] || fail "deallocated blocks 106..107 are not zero"
usk_nvme smart-log $bdf -o json | grep -q '"power_cycles": ' || fail "smart-log failed"
usk_nvme list | grep -q "^$bdf .*ns 1: $(jfield "$json" .nsze) blocks of $bs bytes" || fail "list"
usk_nvme frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown command did not exit 2"
usk_nvme read $bdf >/dev/null 2>&1
[ $? -eq 2 ] || fail "read without --data did not exit 2"

# error-log, fw-log and get-feature against QEMU's answers.
usk_nvme error-log $bdf | grep -q "^error_count " || fail "error-log printed no entry"
# -e asks for at most the ELPE + 1 entries the controller keeps, as in nvme-cli.
want=$(usk_nvme id-ctrl $bdf -o json | jq '[.elpe + 1, 2] | min')
[ "$(usk_nvme error-log $bdf -e 2 -o json | jq '.errors | length')" = "$want" ] ||
	fail "error-log -e 2 -o json: not $want entries"
fw=$(usk_nvme fw-log $bdf) || fail "fw-log failed"
echo "$fw"
echo "$fw" | grep -q "^afi  : 0x1 (active slot 1," || fail "fw-log: slot 1 is not the active one"
# QEMU up to 7.2 at least writes "1.0" in slot 1 whatever its Identify FR (its version) says.
frs1=$(echo "$fw" | sed -n 's/^frs1 : //p')
[ "$frs1" = "$k_fw" ] || [ "$frs1" = 1.0 ] || fail "fw-log: frs1 '$frs1' is not the kernel's firmware revision $k_fw"
[ "$(jfield "$(usk_nvme fw-log $bdf -o json)" .frs1)" = "$frs1" ] || fail "fw-log -o json: frs1 differs"
feat=$(usk_nvme get-feature $bdf -f 7) || fail "get-feature -f 7 failed"
echo "$feat"
nsqa=$(echo "$feat" | sed -n 's/.*(NSQA): \([0-9]*\)$/\1/p')
[ "${nsqa:-0}" -gt 0 ] || fail "get-feature -f 7 reports no queues"
usk_nvme get-feature $bdf -f 6 | grep -Eq "\(WCE\): (enabled|disabled)$" || fail "get-feature -f 6"
usk_nvme get-feature $bdf -f 7 -s 3 | grep -q "^get-feature:0x07 (Number of Queues), Supported capabilities value:" || fail "get-feature -s 3"
usk_nvme get-feature $bdf >/dev/null 2>&1
[ $? -eq 2 ] || fail "get-feature without -f did not exit 2"

# format: asks first, keeps the data on "no", zeroes it on "yes" or --force.
json=$(usk_nvme id-ns $bdf -n 1 -o json)
lbaf=$(($(jfield "$json" .flbas) & 0xf))
nlbaf=$(jfield "$json" .nlbaf)
usk_nvme read $bdf -n 1 -s 100 -c 0 -d /tmp/out >/dev/null || fail "read before format"
cmp -s -n $bs /tmp/in /tmp/out || fail "block 100 is not what was written"
echo no | usk_nvme format $bdf -n 1 >/dev/null 2>&1
[ $? -eq 1 ] || fail "format answered 'no' did not exit 1"
usk_nvme read $bdf -n 1 -s 100 -c 0 -d /tmp/out >/dev/null || fail "read after an aborted format"
cmp -s -n $bs /tmp/in /tmp/out || fail "format answered 'no' changed block 100"
echo yes | usk_nvme format $bdf -n 1 | grep -q "^Success formatting namespace:1$" || fail "format answered 'yes'"
usk_nvme read $bdf -n 1 -s 100 -c 0 -d /tmp/out >/dev/null || fail "read after format"
[ -z "$(tr -d '\0' </tmp/out)" ] || fail "block 100 is not zero after format"
usk_nvme format $bdf -n 1 -l $((nlbaf + 1)) --force >/dev/null 2>&1
[ $? -eq 2 ] || fail "format to LBA format $((nlbaf + 1)) beyond NLBAF $nlbaf did not exit 2"
usk_nvme format $bdf -n 1 -l 0 -s 1 --force | grep -q "^block size: 512 bytes (LBA format 0" || fail "format -l 0"
[ "$(block_size "$(usk_nvme id-ns $bdf -n 1 -o json)")" = 512 ] || fail "id-ns after format -l 0"
usk_nvme write $bdf -n 1 -s 100 -c 0 -d /tmp/in >/dev/null || fail "write 512-byte block"
usk_nvme format $bdf -n 1 --lbaf=$lbaf -f | grep -q "^block size: $bs bytes (LBA format $lbaf" || fail "format back"
usk_nvme read $bdf -n 1 -s 100 -c 0 -d /tmp/out >/dev/null || fail "read after format back"
[ -z "$(tr -d '\0' </tmp/out)" ] || fail "block 100 is not zero after format --force"
echo "PASS: usk_nvme agrees with the kernel and reads back what it wrote"
