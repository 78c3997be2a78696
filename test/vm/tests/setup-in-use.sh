#!/bin/bash
# setup.sh leaves a controller with a mounted namespace on nvme, says why,
# and binds the other one.
set -u
. /usk/tests/lib.sh
setup=/usk/scripts/setup.sh

mapfile -t bdfs < <(nvme_bdfs)
[ ${#bdfs[@]} -eq 2 ] || fail "expected 2 NVMe controllers, found ${#bdfs[@]}"
# The namespace of the first controller, whichever name the kernel gave it.
busy=${bdfs[0]}
ctrl=$(basename /sys/bus/pci/devices/$busy/nvme/nvme*)
subsys=$(dirname "$(ls -d /sys/class/nvme-subsystem/*/"$ctrl")")
dev=$(basename "$(ls -d "$subsys"/nvme*n1)")
[ -b "/dev/$dev" ] || fail "no namespace found under $busy ($ctrl)"
mke2fs -q /dev/$dev >/dev/null 2>&1 || fail "mke2fs /dev/$dev"
mkdir -p /mnt/busy
mount -t ext2 /dev/$dev /mnt/busy || fail "mount /dev/$dev"

out=$(HUGEMEM=0 $setup config 2>&1)
echo "$out"
[ "$(driver_of "$busy")" = nvme ] || fail "$busy was bound although /dev/$dev is mounted"
[ "$(driver_of "${bdfs[1]}")" = vfio-pci ] || fail "${bdfs[1]} was not bound"
echo "$out" | grep -q "/dev/$dev is mounted on /mnt/busy" ||
	fail "setup.sh did not name the mount of /dev/$dev"
grep -q "^/dev/$dev " /proc/mounts || fail "the mount is gone"

umount /mnt/busy
$setup reset >/dev/null || fail "reset exited $?"
echo "PASS: mounted namespace kept on nvme, the other bound"
