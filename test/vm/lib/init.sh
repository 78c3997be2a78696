#!/bin/busybox sh
# The guest's first process: mounts, loads the lab's modules, runs the test
# script and reports its status on the console, then powers off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# What scripts written for a full system expect: /usr/bin/env and /dev/fd.
mkdir -p /usr/bin /usr/sbin && ln -s /bin/busybox /usr/bin/env
ln -s /proc/self/fd /dev/fd
# A normal user, for tests of what non-root users get.
mkdir -p /etc
printf 'root:x:0:0:root:/tmp:/bin/sh\nusk:x:1000:1000:usk:/tmp:/bin/sh\n' >/etc/passwd
printf 'root:x:0:\nusk:x:1000:\n' >/etc/group
mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages
for m in nvme vfio-pci vfio_iommu_type1 crc32c_generic ext4; do
	modprobe "$m" || echo "USK-VM: modprobe $m failed"
done
echo @HUGEPAGES@ >/proc/sys/vm/nr_hugepages
# The kernel's nvme driver probes asynchronously: give it up to 5 s.
i=0
while [ $i -lt 50 ]; do
	n_ctrl=$(ls /sys/class/nvme 2>/dev/null | wc -l)
	n_pci=$(grep -l 0x010802 /sys/bus/pci/devices/*/class 2>/dev/null | wc -l)
	[ "$n_ctrl" -ge "$n_pci" ] && ls /dev/nvme*n* >/dev/null 2>&1 && break
	sleep 0.1
	i=$((i + 1))
done
export PATH=/usk/bin:/bin:/sbin HOME=/tmp
cd /usk
set --
while IFS= read -r arg; do
	set -- "$@" "$arg"
done </usk/test.args
echo "USK-VM-BEGIN"
/usk/test.sh "$@"
echo "USK-VM-EXIT $?"
sync
poweroff -f
