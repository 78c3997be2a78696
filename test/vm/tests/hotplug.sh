#!/bin/bash
# A controller hot-unplugged through QMP (device_del) leaves the guest's PCI
# tree; the other stays.
set -u
. /usk/tests/lib.sh

mapfile -t bdfs < <(nvme_bdfs)
[ ${#bdfs[@]} -eq 2 ] || fail "expected 2 NVMe controllers, found ${#bdfs[@]}"
# The lab puts controller N on root port N, so nv2 is the second one.
gone=${bdfs[1]}
echo "USK-VM-QMP {\"execute\":\"device_del\",\"arguments\":{\"id\":\"nv2\"}}"
wait_for "[ ! -e /sys/bus/pci/devices/$gone ]" 300 ||
	fail "$gone is still in the PCI tree 30 s after device_del"
[ -e "/sys/bus/pci/devices/${bdfs[0]}" ] || fail "${bdfs[0]} disappeared too"
[ "$(nvme_bdfs | wc -l)" -eq 1 ] || fail "expected 1 controller left"
echo "PASS: $gone unplugged"
