#!/bin/bash
# setup.sh status, config and reset on 2 controllers (the first with a 64M
# and a 128M namespace of 4096-byte blocks, the second with 32M).
set -u
. /usk/tests/lib.sh
setup=/usk/scripts/setup.sh

mapfile -t bdfs < <(nvme_bdfs)
[ ${#bdfs[@]} -eq 2 ] || fail "expected 2 NVMe controllers, found ${#bdfs[@]}"
for bdf in "${bdfs[@]}"; do
	[ "$(driver_of "$bdf")" = nvme ] || fail "$bdf starts on $(driver_of "$bdf"), not nvme"
done

# status: every namespace listed with its size as sysfs has it.
status=$($setup status) || fail "setup.sh status exited $?"
echo "$status"
sizes=""
for b in $(nvme_block_devices); do
	mib=$(($(cat /sys/block/$b/size) * 512 / 1048576))
	sizes+="$mib:$(cat /sys/block/$b/queue/logical_block_size) "
	echo "$status" | grep -q "$b(${mib}MiB)" || fail "status does not list $b with ${mib}MiB"
done
for want in 64:512 128:4096 32:512; do
	[[ " $sizes" == *" $want "* ]] || fail "no namespace of MiB:block $want (have: $sizes)"
done
echo "$status" | grep -q "^${bdfs[0]} .* nvme " || fail "status does not show ${bdfs[0]} on nvme"

# config: both on vfio-pci, their /dev/vfio nodes there, hugepages reserved.
HUGEMEM=64 TARGET_USER=usk $setup config || fail "setup.sh config exited $?"
for bdf in "${bdfs[@]}"; do
	node=/dev/vfio/$(group_of "$bdf")
	[ "$(driver_of "$bdf")" = vfio-pci ] || fail "$bdf is on $(driver_of "$bdf") after config"
	[ -c "$node" ] || fail "$node is missing"
	[ "$(stat -c %u "$node")" = 1000 ] || fail "$node is not owned by TARGET_USER usk"
done
[ "$(cat /proc/sys/vm/nr_hugepages)" -eq 32 ] ||
	fail "nr_hugepages is $(cat /proc/sys/vm/nr_hugepages), not 32"
[ -z "$(nvme_block_devices)" ] || fail "block devices left after config: $(nvme_block_devices)"
$setup status | grep -q "/dev/vfio/$(group_of "${bdfs[1]}")" || fail "status does not show the VFIO group"

# config again changes nothing and succeeds.
HUGEMEM=64 $setup config >/dev/null || fail "a second config exited $?"

# reset: back on nvme, and the block devices come back.
$setup reset || fail "setup.sh reset exited $?"
for bdf in "${bdfs[@]}"; do
	[ "$(driver_of "$bdf")" = nvme ] || fail "$bdf is on $(driver_of "$bdf") after reset"
done
wait_for '[ "$(nvme_block_devices | wc -l)" -eq 3 ]' 100 ||
	fail "after reset the block devices are: $(nvme_block_devices)"
echo "PASS: status, config and reset"
