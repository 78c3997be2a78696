#!/bin/bash
# Guest: what lib/env says for a controller left on the kernel's nvme driver
# and for a user without permission on /dev/vfio/N.
set -u
. /usk/tests/lib.sh

mapfile -t bdfs < <(nvme_bdfs)
out=$(/usk/bin/env_attach "${bdfs[0]}" 2>&1)
rc=$?
echo "$out"
[ $rc -ne 0 ] || fail "attaching a device on nvme succeeded"
echo "$out" | grep -q "${bdfs[0]} is bound to nvme, not vfio-pci: bind it with scripts/setup.sh" ||
	fail "no message naming the nvme driver and setup.sh"

HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
chmod 600 "/dev/vfio/$(group_of "${bdfs[0]}")"
out=$(su -s /bin/sh usk -c "/usk/bin/env_attach ${bdfs[0]}" 2>&1)
rc=$?
echo "$out"
[ $rc -ne 0 ] || fail "a user without permission attached the device"
echo "$out" | grep -q "no permission on /dev/vfio/$(group_of "${bdfs[0]}"): run as root, or give it to your user with 'TARGET_USER=" ||
	fail "no message about /dev/vfio permissions"
echo "PASS: errors name the fix"
