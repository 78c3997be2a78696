#!/bin/bash
# setup.sh's refusals and selections: not root, an unknown command,
# PCI_ALLOWED / PCI_BLOCKED, and a namespace used as swap.
set -u
. /usk/tests/lib.sh
setup=/usk/scripts/setup.sh

mapfile -t bdfs < <(nvme_bdfs)
[ ${#bdfs[@]} -eq 2 ] || fail "expected 2 NVMe controllers, found ${#bdfs[@]}"

out=$(su -s /bin/bash usk -c "$setup config" 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "config as a normal user exited $rc, not 1"
echo "$out" | grep -q "config needs root" || fail "no 'needs root' message: $out"
[ "$(driver_of "${bdfs[0]}")" = nvme ] || fail "a normal user's config changed a driver"

$setup frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown command did not exit 2"
$setup help | grep -q "^Usage: setup.sh" || fail "help prints no usage"

PCI_BLOCKED=${bdfs[0]} HUGEMEM=0 $setup config >/dev/null || fail "config with PCI_BLOCKED failed"
[ "$(driver_of "${bdfs[0]}")" = nvme ] || fail "PCI_BLOCKED ${bdfs[0]} was bound"
[ "$(driver_of "${bdfs[1]}")" = vfio-pci ] || fail "${bdfs[1]} was not bound"
$setup reset >/dev/null || fail "reset failed"

PCI_ALLOWED=${bdfs[0]} HUGEMEM=0 $setup config >/dev/null || fail "config with PCI_ALLOWED failed"
[ "$(driver_of "${bdfs[0]}")" = vfio-pci ] || fail "PCI_ALLOWED ${bdfs[0]} was not bound"
[ "$(driver_of "${bdfs[1]}")" = nvme ] || fail "${bdfs[1]} was bound though not allowed"
# reset, too, acts only on the allowed ones.
PCI_ALLOWED=${bdfs[1]} $setup reset >/dev/null || fail "reset with PCI_ALLOWED failed"
[ "$(driver_of "${bdfs[0]}")" = vfio-pci ] || fail "reset touched ${bdfs[0]} though not allowed"
$setup reset >/dev/null || fail "reset failed"
wait_for '[ "$(nvme_block_devices | wc -l)" -eq 2 ]' 100 || fail "block devices did not come back"

dev=$(nvme_block_devices | tail -n 1)
mkswap /dev/$dev >/dev/null 2>&1 && swapon /dev/$dev || fail "cannot make /dev/$dev swap"
out=$(HUGEMEM=0 $setup config 2>&1)
echo "$out"
echo "$out" | grep -q "/dev/$dev is in use as swap" || fail "the swap user is not named"
swapoff /dev/$dev
echo "PASS: refusals and selections"
