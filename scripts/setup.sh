#!/usr/bin/env bash
# Binds NVMe controllers to vfio-pci for USK, reserves hugepages, gives
# them back to the kernel, and shows where everything stands.
set -uo pipefail

HUGEMEM=${HUGEMEM:-2048}
PCI_ALLOWED=${PCI_ALLOWED:-}
PCI_BLOCKED=${PCI_BLOCKED:-}
TARGET_USER=${TARGET_USER:-}
NOIOMMU=${NOIOMMU:-0}
SYSFS=${USK_SYSFS:-/sys}
DEV=${USK_DEV:-/dev}
NVME_CLASS=0x010802

usage() {
	cat <<USAGE
Usage: setup.sh [config|reset|status|help]

  config   (the default) bind every NVMe controller that is not in use to
           vfio-pci and reserve hugepages. A controller whose namespaces are
           mounted, used as swap or held by md/dm/LVM is left alone, with a
           message naming what holds it.
  reset    give the controllers on vfio-pci back to the kernel nvme driver.
  status   list the NVMe controllers (address, vendor:device, NUMA node,
           driver, block devices or VFIO group and the processes that hold
           it) and the hugepages per node.
  help     this text.

Environment:
  HUGEMEM=MiB         hugepage memory to reserve, spread across NUMA nodes
                      (default 2048; 0 leaves hugepages alone). USK runs
                      without hugepages too, on ordinary pinned memory.
  PCI_ALLOWED="BDF.." only these controllers (e.g. "0000:01:00.0 0000:02:00.0")
  PCI_BLOCKED="BDF.." never these controllers
  TARGET_USER=name    make /dev/vfio/GROUP usable by this user (USK then runs
                      without root; raise that user's memlock limit, ulimit -l,
                      to cover USK's DMA memory)
  NOIOMMU=1           where no IOMMU can be had: turn on VFIO's unsafe no-IOMMU
                      mode (the device can then reach all memory). USK needs
                      root and hugepages there (HUGEMEM must not be 0).

config and reset need root.
USAGE
}

err() {
	echo "setup.sh: $*" >&2
}

# The controllers to act on: class NVMe, selected by PCI_ALLOWED/PCI_BLOCKED.
nvme_controllers() {
	local dev bdf
	for dev in "$SYSFS"/bus/pci/devices/*; do
		[ "$(cat "$dev/class" 2>/dev/null)" = "$NVME_CLASS" ] || continue
		bdf=${dev##*/}
		if [ -n "$PCI_ALLOWED" ] && [[ " $PCI_ALLOWED " != *" $bdf "* ]]; then
			continue
		fi
		[[ " $PCI_BLOCKED " == *" $bdf "* ]] && continue
		echo "$bdf"
	done
}

# Names each PCI_ALLOWED address that is no NVMe controller here: a typo or
# a short BDF would otherwise leave config and reset doing nothing, silently.
check_allowed() {
	local bdf
	for bdf in $PCI_ALLOWED; do
		[ "$(cat "$SYSFS/bus/pci/devices/$bdf/class" 2>/dev/null)" = "$NVME_CLASS" ] ||
			err "PCI_ALLOWED: $bdf is no NVMe controller on this machine; left out ('setup.sh status' lists them)"
	done
}

pci_driver() {
	local link=$SYSFS/bus/pci/devices/$1/driver
	[ -e "$link" ] && basename "$(readlink "$link")" || echo "-"
}

iommu_group() {
	local link=$SYSFS/bus/pci/devices/$1/iommu_group
	[ -e "$link" ] && basename "$(readlink "$link")" || echo ""
}

# The block devices (namespaces) of a controller bound to nvme. With native
# multipath the controller lists paths (nvme0c0n1) and the devices are the
# heads its NVM subsystem holds (nvme0n1).
controller_block_devices() {
	local cdir entry name sdir head
	for cdir in "$SYSFS"/bus/pci/devices/"$1"/nvme/nvme*; do
		[ -d "$cdir" ] || continue
		for entry in "$cdir"/nvme*n*; do
			[ -e "$entry" ] || continue
			name=${entry##*/}
			if [[ $name =~ ^nvme[0-9]+c[0-9]+n([0-9]+)$ ]]; then
				for sdir in "$SYSFS"/class/nvme-subsystem/*/; do
					[ -e "$sdir${cdir##*/}" ] || continue
					for head in "$sdir"nvme*n"${BASH_REMATCH[1]}"; do
						[ -e "$head" ] && echo "${head##*/}"
					done
				done
			else
				echo "$name"
			fi
		done
	done | sort -u
}

# Prints why block device $1 (or one of its partitions) is in use, if it is.
block_device_users() {
	local dev=$1 part name holder hname
	for part in "$SYSFS/block/$dev" "$SYSFS/block/$dev/$dev"p*; do
		[ -d "$part" ] || continue
		name=${part##*/}
		awk -v d="/dev/$name" '$1 == d { print d " is mounted on " $2 }' /proc/mounts
		awk -v d="/dev/$name" '$1 == d { print d " is in use as swap" }' /proc/swaps
		for holder in "$part"/holders/*; do
			[ -e "$holder" ] || continue
			hname=${holder##*/}
			if [ -r "$SYSFS/block/$hname/dm/name" ]; then
				hname="$hname (device-mapper $(cat "$SYSFS/block/$hname/dm/name"))"
			fi
			echo "/dev/$name is held by $hname"
		done
	done
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		err "$1 needs root: run it as root or with sudo"
		exit 1
	fi
}

# VFIO without an IOMMU: only when asked for, and with hugepages.
require_noiommu() {
	local param=$SYSFS/module/vfio/parameters/enable_unsafe_noiommu_mode
	if [ "$HUGEMEM" -eq 0 ]; then
		err "NOIOMMU=1 needs hugepages: without an IOMMU USK gives devices physical"
		err "addresses, which only hugepages keep; set HUGEMEM to the MiB to reserve."
		exit 1
	fi
	# A fake sysfs (USK_SYSFS, for tests) has no module to load.
	[ "$SYSFS" != /sys ] || modprobe vfio enable_unsafe_noiommu_mode=1 2>/dev/null
	[ -w "$param" ] && echo Y >"$param"
	if [ "$(cat "$param" 2>/dev/null)" != Y ]; then
		err "cannot turn on VFIO's no-IOMMU mode: this kernel lacks CONFIG_VFIO_NOIOMMU."
		exit 1
	fi
	echo "VFIO no-IOMMU mode on: the bound devices can reach all memory (unsafe)."
}

require_vfio() {
	if [ "$NOIOMMU" = 1 ]; then
		require_noiommu
	elif [ -z "$(ls -A "$SYSFS/kernel/iommu_groups" 2>/dev/null)" ]; then
		err "the IOMMU is off, so vfio-pci cannot give devices to user space."
		err "Enable it in the firmware (VT-d / AMD-Vi) and add intel_iommu=on (Intel)"
		err "or amd_iommu=on (AMD) to the kernel command line, then reboot."
		err "Where no IOMMU can be had: NOIOMMU=1 $0 config (unsafe, needs hugepages)."
		exit 1
	fi
	if [ ! -d "$SYSFS/bus/pci/drivers/vfio-pci" ]; then
		modprobe vfio-pci 2>/dev/null
	fi
	# USK's IOMMU backend; not every kernel loads it with vfio-pci.
	modprobe vfio_iommu_type1 2>/dev/null
	if [ ! -d "$SYSFS/bus/pci/drivers/vfio-pci" ]; then
		err "the vfio-pci driver is missing and 'modprobe vfio-pci' failed:"
		err "install your kernel's modules package (or build with CONFIG_VFIO_PCI)."
		exit 1
	fi
}

# Binds $1 to driver $2 (vfio-pci or nvme) and checks that it took.
bind_driver() {
	local bdf=$1 driver=$2 dev=$SYSFS/bus/pci/devices/$1 current
	current=$(pci_driver "$bdf")
	[ "$current" = "$driver" ] && return 0
	if [ "$current" != "-" ]; then
		echo "$bdf" >"$dev/driver/unbind" || return 1
	fi
	if [ "$driver" = nvme ]; then
		echo >"$dev/driver_override" || return 1
	else
		echo "$driver" >"$dev/driver_override" || return 1
	fi
	echo "$bdf" >"$SYSFS/bus/pci/drivers_probe" 2>/dev/null
	[ "$(pci_driver "$bdf")" = "$driver" ]
}

# The group's device file: /dev/vfio/N, or /dev/vfio/noiommu-N without an IOMMU.
vfio_group_node() {
	if [ -e "$DEV/vfio/noiommu-$1" ]; then
		echo "$DEV/vfio/noiommu-$1"
	else
		echo "$DEV/vfio/$1"
	fi
}

# The processes that have the file $1 open, as "name[pid]" words: a VFIO
# group is open in exactly the process that owns its devices. One ls reads
# every process's fd links (busybox's find has no -lname).
file_holders() {
	local pid holders=""
	for pid in $(ls -l /proc/[0-9]*/fd 2>/dev/null | awk -v node="$1" '
		/^\/proc\/[0-9]+\/fd:$/ { split($0, part, "/"); pid = part[3] }
		$NF == node && $(NF - 1) == "->" && !seen[pid]++ { print pid }'); do
		holders+=" $(cat "/proc/$pid/comm" 2>/dev/null)[$pid]"
	done
	echo "${holders# }"
}

vfio_give_to_user() {
	local group=$1 node i
	for i in $(seq 1 50); do
		node=$(vfio_group_node "$group")
		[ -e "$node" ] && break
		sleep 0.1
	done
	if [ -n "$TARGET_USER" ]; then
		chown "$TARGET_USER" "$node" || err "cannot give $node to $TARGET_USER"
	fi
}

config_controller() {
	local bdf=$1 users dev group
	if [ "$(pci_driver "$bdf")" = vfio-pci ]; then
		echo "$bdf: already on vfio-pci"
	else
		users=""
		for dev in $(controller_block_devices "$bdf"); do
			users+=$(block_device_users "$dev")
		done
		if [ -n "$users" ]; then
			echo "$bdf: not bound, it is in use:"
			echo "$users" | sed 's/^/    /'
			return 0
		fi
		if ! bind_driver "$bdf" vfio-pci; then
			err "$bdf: binding to vfio-pci failed (driver now: $(pci_driver "$bdf"))"
			return 1
		fi
		echo "$bdf: bound to vfio-pci"
	fi
	group=$(iommu_group "$bdf")
	vfio_give_to_user "$group"
	echo "$bdf: $(vfio_group_node "$group")${TARGET_USER:+ (owner $TARGET_USER)}"
}

# Reserves HUGEMEM MiB in 2 MiB pages (an odd MiB takes one more), split
# evenly over the NUMA nodes.
config_hugepages() {
	local pages=$(((HUGEMEM + 1) / 2)) nodes=() n per extra got=0 file
	[ "$HUGEMEM" -gt 0 ] || return 0
	for n in "$SYSFS"/devices/system/node/node[0-9]*; do
		[ -e "$n/hugepages/hugepages-2048kB/nr_hugepages" ] && nodes+=("$n")
	done
	if [ ${#nodes[@]} -eq 0 ]; then
		# Not vm.nr_hugepages: it counts pages of the default size, maybe 1 GiB.
		file=$SYSFS/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
		echo "$pages" 2>/dev/null >"$file"
		got=$(cat "$file" 2>/dev/null || echo 0)
	else
		per=$((pages / ${#nodes[@]}))
		extra=$((pages % ${#nodes[@]}))
		for n in "${nodes[@]}"; do
			file=$n/hugepages/hugepages-2048kB/nr_hugepages
			echo $((per + extra)) >"$file"
			extra=0
			got=$((got + $(cat "$file")))
		done
	fi
	# A fake sysfs (USK_SYSFS, for tests) reserves no pages to mount.
	if [ "$SYSFS" = /sys ]; then
		mkdir -p /dev/hugepages
		grep -q ' /dev/hugepages hugetlbfs' /proc/mounts || mount -t hugetlbfs nodev /dev/hugepages
	fi
	if [ "$got" -lt "$pages" ]; then
		err "asked for $pages hugepages of 2 MiB, got $got: memory is fragmented or short."
		err "USK still runs (on ordinary pinned memory); reserve them at boot with hugepages=$pages."
	else
		echo "hugepages: $got x 2 MiB reserved"
	fi
}

# HUGEMEM is arithmetic below: anything but a count of MiB would fail there,
# after the controllers were bound, or wrap around. Decimal, also with a
# leading 0 (which arithmetic would read as octal).
check_hugemem() {
	if ! [[ $HUGEMEM =~ ^[0-9]{1,9}$ ]]; then
		err "HUGEMEM=$HUGEMEM: expected MiB of hugepages as a whole number, e.g. HUGEMEM=2048"
		exit 2
	fi
	HUGEMEM=$((10#$HUGEMEM))
}

cmd_config() {
	local bdf rc=0
	check_hugemem
	require_root config
	check_allowed
	require_vfio
	for bdf in $(nvme_controllers); do
		config_controller "$bdf" || rc=1
	done
	config_hugepages
	return $rc
}

cmd_reset() {
	local bdf rc=0
	require_root reset
	check_allowed
	modprobe nvme 2>/dev/null
	for bdf in $(nvme_controllers); do
		if [ "$(pci_driver "$bdf")" = nvme ]; then
			echo "$bdf: already on nvme"
		elif bind_driver "$bdf" nvme; then
			echo "$bdf: back on nvme"
		else
			err "$bdf: binding to nvme failed (driver now: $(pci_driver "$bdf"))"
			rc=1
		fi
	done
	return $rc
}

cmd_status() {
	local bdf dev driver what b n file holders
	printf '%-14s %-11s %-5s %-10s %s\n' BDF VENDOR:DEV NUMA DRIVER DEVICES
	for bdf in $(nvme_controllers); do
		dev=$SYSFS/bus/pci/devices/$bdf
		driver=$(pci_driver "$bdf")
		case "$driver" in
		vfio-pci)
			what=$(vfio_group_node "$(iommu_group "$bdf")")
			holders=$(file_holders "$what")
			what+=${holders:+ (held by $holders)} ;;
		nvme)
			what=""
			for b in $(controller_block_devices "$bdf"); do
				what+="$b($(($(cat "$SYSFS/block/$b/size") * 512 / 1048576))MiB) "
			done
			what=${what% } ;;
		*) what="" ;;
		esac
		printf '%-14s %-11s %-5s %-10s %s\n' "$bdf" \
			"$(sed 's/0x//' "$dev/vendor"):$(sed 's/0x//' "$dev/device")" \
			"$(cat "$dev/numa_node" 2>/dev/null || echo -1)" "$driver" "${what:--}"
	done
	echo
	for n in "$SYSFS"/devices/system/node/node[0-9]*; do
		file=$n/hugepages/hugepages-2048kB
		[ -d "$file" ] || continue
		echo "${n##*/}: $(cat "$file/nr_hugepages") hugepages of 2048 kB, $(cat "$file/free_hugepages") free"
	done
}

case "${1:-config}" in
config) cmd_config ;;
reset) cmd_reset ;;
status) cmd_status ;;
help | -h | --help) usage ;;
*) err "unknown command '$1'"; usage >&2; exit 2 ;;
esac
