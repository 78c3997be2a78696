#!/bin/bash
# setup.sh against a fake sysfs tree (USK_SYSFS): a namespace held by
# device-mapper is named and its controller left alone, and status reads
# the tree right. Runs on the host, as any user.
set -u
: "${top_srcdir:?run through make check}"
setup=$top_srcdir/scripts/setup.sh
sys=$(mktemp -d "${TMPDIR:-/tmp}/usk-sysfs.XXXXXX")
trap 'rm -rf "$sys"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# A PCI function: BDF, class, driver (or -), NUMA node, IOMMU group.
add_pci() {
	local dev=$sys/devices/pci0000:00/$1
	mkdir -p "$dev" "$sys/bus/pci/devices" "$sys/bus/pci/drivers/$3" "$sys/kernel/iommu_groups/$5"
	echo "$2" >"$dev/class"
	echo 0x1b36 >"$dev/vendor"
	echo 0x0010 >"$dev/device"
	echo "$4" >"$dev/numa_node"
	ln -s "$dev" "$sys/bus/pci/devices/$1"
	[ "$3" = - ] || ln -s "$sys/bus/pci/drivers/$3" "$dev/driver"
	ln -s "$sys/kernel/iommu_groups/$5" "$dev/iommu_group"
}

# A namespace of controller nvmeN on BDF: its block device with a size.
add_ns() {
	mkdir -p "$sys/bus/pci/devices/$1/nvme/$2/$3" "$sys/block/$3/holders"
	echo "$4" >"$sys/block/$3/size"
}

add_pci 0000:01:00.0 0x010802 nvme 0 7
add_pci 0000:02:00.0 0x010802 vfio-pci 1 8
add_pci 0000:00:1f.2 0x010601 ahci -1 9
mkdir -p "$sys/bus/pci/drivers/vfio-pci"
add_ns 0000:01:00.0 nvme0 nvme0n1 131072
mkdir -p "$sys/block/dm-0/dm"
echo vg0-data >"$sys/block/dm-0/dm/name"
ln -s "$sys/block/dm-0" "$sys/block/nvme0n1/holders/dm-0"

out=$(USK_SYSFS=$sys "$setup" status) || fail "status exited $?"
echo "$out"
echo "$out" | grep -Eq '^0000:01:00.0 +1b36:0010 +0 +nvme +nvme0n1\(64MiB\)$' ||
	fail "status row of 0000:01:00.0 is wrong"
echo "$out" | grep -Eq '^0000:02:00.0 +1b36:0010 +1 +vfio-pci +/dev/vfio/8$' ||
	fail "status row of 0000:02:00.0 is wrong"
echo "$out" | grep -q 0000:00:1f.2 && fail "status lists a device that is not NVMe"
# A process that holds the VFIO group is named, once however many fds it has.
mkdir -p "$sys/dev/vfio"
: >"$sys/dev/vfio/8"
sleep 60 <"$sys/dev/vfio/8" 3<"$sys/dev/vfio/8" &
holder=$!
out=$(USK_SYSFS=$sys USK_DEV=$sys/dev "$setup" status)
kill "$holder"
echo "$out"
echo "$out" | grep -Eq "^0000:02:00.0 .* vfio-pci +$sys/dev/vfio/8 \(held by sleep\[$holder\]\)$" ||
	fail "status does not name the process that holds the VFIO group"
out=$(USK_SYSFS=$sys PCI_BLOCKED=0000:02:00.0 "$setup" status)
echo "$out" | grep -q 0000:02:00.0 && fail "status lists a PCI_BLOCKED device"

# A HUGEMEM that is not a number of MiB is refused before anything is done.
for hugemem in abc 1G -4 2.5 99999999999999999999; do
	out=$(USK_SYSFS=$sys HUGEMEM=$hugemem PCI_ALLOWED=0000:02:00.0 "$setup" config 2>&1)
	rc=$?
	[ $rc = 2 ] && echo "$out" | grep -q "HUGEMEM=$hugemem: " ||
		fail "HUGEMEM=$hugemem: exit $rc: $out"
done

# What config must leave alone on the host when it works on a fake tree.
host_hugetlbfs() {
	ls -d /dev/hugepages 2>/dev/null
	grep hugetlbfs /proc/mounts
}
host_before=$(host_hugetlbfs)
if [ "$(id -u)" -eq 0 ]; then
	out=$(USK_SYSFS=$sys HUGEMEM=0 PCI_ALLOWED=0000:01:00.0 "$setup" config 2>&1)
	echo "$out"
	echo "$out" | grep -q "/dev/nvme0n1 is held by dm-0 (device-mapper vg0-data)" ||
		fail "config does not name the device-mapper holder"
	[ "$(basename "$(readlink "$sys/bus/pci/devices/0000:01:00.0/driver")")" = nvme ] ||
		fail "config rebound a held controller"
	[ ! -e "$sys/bus/pci/devices/0000:01:00.0/driver_override" ] ||
		fail "config touched the held controller's driver_override"

	# No NUMA node in sysfs: the 2 MiB pages go to the 2 MiB pool, not to
	# vm.nr_hugepages, which counts pages of the default size (1 GiB ones
	# with default_hugepagesz=1G). The host's count is put back if touched.
	pool=$sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	mkdir -p "${pool%/*}"
	echo 0 >"$pool"
	host_pages=$(cat /proc/sys/vm/nr_hugepages)
	USK_SYSFS=$sys HUGEMEM=4 PCI_ALLOWED=0000:02:00.0 "$setup" config >/dev/null 2>&1
	if [ "$(cat /proc/sys/vm/nr_hugepages)" != "$host_pages" ]; then
		echo "$host_pages" >/proc/sys/vm/nr_hugepages
		fail "config with no NUMA node in sysfs wrote the host's vm.nr_hugepages"
	fi
	[ "$(cat "$pool")" = 2 ] ||
		fail "config with no NUMA node in sysfs reserved $(cat "$pool") pages of 2 MiB, not 2"

	# NOIOMMU=1: refused without hugepages, and on a kernel without the mode.
	out=$(USK_SYSFS=$sys NOIOMMU=1 HUGEMEM=0 "$setup" config 2>&1) &&
		fail "NOIOMMU=1 with HUGEMEM=0 was accepted"
	echo "$out" | grep -q "needs hugepages" || fail "no word about hugepages: $out"
	out=$(USK_SYSFS=$sys NOIOMMU=1 HUGEMEM=2 "$setup" config 2>&1) &&
		fail "NOIOMMU=1 was accepted with no enable_unsafe_noiommu_mode parameter"
	echo "$out" | grep -q "CONFIG_VFIO_NOIOMMU" || fail "the refusal does not name the option"
	# A kernel that has it: the mode is turned on (hugepages go to the fake node).
	mkdir -p "$sys/module/vfio/parameters" "$sys/devices/system/node/node0/hugepages/hugepages-2048kB"
	echo N >"$sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
	echo 0 >"$sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"
	out=$(USK_SYSFS=$sys NOIOMMU=1 HUGEMEM=2 PCI_ALLOWED=0000:02:00.0 "$setup" config 2>&1)
	echo "$out"
	echo "$out" | grep -q "no-IOMMU mode on" || fail "NOIOMMU=1 did not say the mode is on"
	[ "$(cat "$sys/module/vfio/parameters/enable_unsafe_noiommu_mode")" = Y ] ||
		fail "NOIOMMU=1 did not turn the mode on"
	# A PCI_ALLOWED address that is no NVMe controller here (a typo, or a
	# short BDF) is named, not passed over in silence.
	out=$(USK_SYSFS=$sys HUGEMEM=0 PCI_ALLOWED="0000:02:00.0 0000:09:00.0 0000:00:1f.2" \
		"$setup" config 2>&1)
	echo "$out" | grep -q "PCI_ALLOWED: 0000:09:00.0 is no NVMe controller on this machine" &&
		echo "$out" | grep -q "PCI_ALLOWED: 0000:00:1f.2 is no NVMe controller" &&
		! echo "$out" | grep -q "PCI_ALLOWED: 0000:02:00.0" ||
		fail "config does not name the PCI_ALLOWED addresses it cannot use: $out"
	# HUGEMEM is rounded up to whole 2 MiB pages: 1 MiB is one page, not none.
	nr=$sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
	for pages in 1:1 3:2 4:2; do
		USK_SYSFS=$sys HUGEMEM=${pages%:*} PCI_ALLOWED=0000:02:00.0 "$setup" config >/dev/null 2>&1
		[ "$(cat "$nr")" = "${pages#*:}" ] ||
			fail "HUGEMEM=${pages%:*} reserved $(cat "$nr") pages, not ${pages#*:}"
	done
	[ "$(host_hugetlbfs)" = "$host_before" ] ||
		fail "config on a fake sysfs made or mounted the host's /dev/hugepages"
fi
echo "PASS: setup.sh on a fake sysfs"
