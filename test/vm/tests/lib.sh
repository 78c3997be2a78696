# shellcheck shell=bash
# Helpers for guest test scripts: facts read from sysfs, never from the
# output of the tool under test.

fail() {
	echo "FAIL: $*"
	exit 1
}

# The NVMe controllers' PCI addresses, in order.
nvme_bdfs() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = 0x010802 ] && echo "${d##*/}"
	done
}

driver_of() {
	local link=/sys/bus/pci/devices/$1/driver
	[ -e "$link" ] && basename "$(readlink "$link")" || echo none
}

group_of() {
	basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"
}

# Waits up to $2 tenths of a second for the command $1 to succeed.
wait_for() {
	local i=0
	while [ $i -lt "$2" ]; do
		eval "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Hot-unplugs controller nv1 $2 seconds into the run of the background
# process $1 (called $3 in messages), waits up to 30 s for that process to
# end, and returns its exit status.
unplug_during() {
	sleep "$2"
	echo 'USK-VM-QMP {"execute":"device_del","arguments":{"id":"nv1"}}'
	wait_for "! kill -0 $1 2>/dev/null" 300 || fail "$3 did not end after the unplug"
	wait "$1"
}

# The namespace block devices (heads, not multipath paths) the kernel has.
nvme_block_devices() {
	local b
	for b in /sys/block/nvme*n*; do
		[ -e "$b" ] || continue
		[[ ${b##*/} =~ ^nvme[0-9]+n[0-9]+$ ]] && echo "${b##*/}"
	done
}

# Writes to $1 a JSON config that attaches the controller at PCI address $2
# as bdev controller Nvme0, in the shape SPDK's save_config writes it (every
# member SPDK writes for a PCIe controller), so the nvme bdev tests load an
# SPDK-saved config unchanged. $3, if given, holds bdev_nvme_set_options's
# params (a JSON object), called first.
nvme_bdev_config() {
	local options=""
	[ -z "${3:-}" ] || options="{\"method\": \"bdev_nvme_set_options\", \"params\": $3},"
	cat >"$1" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [$options
  {"method": "bdev_nvme_attach_controller",
   "params": {"name": "Nvme0", "trtype": "PCIe", "traddr": "$2",
     "prchk_reftag": false, "prchk_guard": false, "ctrlr_loss_timeout_sec": 0,
     "reconnect_delay_sec": 0, "fast_io_fail_timeout_sec": 0,
     "hostnqn": "nqn.2014-08.org.nvmexpress:uuid:2b3c4d5e-6f70-4182-9a3b-4c5d6e7f8091",
     "hdgst": false, "ddgst": false, "fabrics_connect_timeout_us": 0,
     "num_io_queues": 1024, "disable_sq_flow_control": false}}]}]}
JSON
}
