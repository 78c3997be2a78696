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

# TARGET_USER: user usk, given the groups by config and no other privilege,
# drives the second controller; status names the process that holds it.
perf_as_usk() {
	su -s /bin/sh usk -c "ulimit -l $1; exec usk_nvme_perf -r 'trtype:PCIe traddr:${bdfs[1]}' $2"
}
echo "usk_nvme_perf as user usk"
perf_as_usk unlimited "-q 8 -t 1" >/tmp/perf-usk.out 2>&1 ||
	fail "usk_nvme_perf as user usk exited $?: $(cat /tmp/perf-usk.out)"
grep -q IOPS /tmp/perf-usk.out || fail "usk_nvme_perf as user usk printed no figures"
echo "setup.sh status while user usk's usk_nvme_perf runs"
perf_as_usk unlimited "-q 8 -t 8" >/dev/null 2>&1 &
perf=$!
# The pid is su's child's, not the background job's: match the name.
wait_for "$setup status | grep -q 'vfio/$(group_of "${bdfs[1]}") (held by usk_nvme_perf\[[0-9]*\])'" 100 ||
	fail "status does not name usk_nvme_perf as the holder: $($setup status)"
wait "$perf" || fail "the background usk_nvme_perf exited $?"
# A memlock limit too small for the DMA memory: one message that names the fix.
echo "usk_nvme_perf as user usk under a 64 KiB memlock limit"
perf_as_usk 64 "-q 8 -t 1" >/tmp/perf-usk.out 2>&1 && fail "usk_nvme_perf ran under a 64 KiB memlock limit"
grep -q "ulimit -l" /tmp/perf-usk.out || fail "no word of the memlock limit: $(cat /tmp/perf-usk.out)"

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
