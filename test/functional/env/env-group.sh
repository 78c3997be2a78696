#!/bin/bash
# Guest: two controllers share an IOMMU group; with one on vfio-pci and the
# other on nvme the group is not viable, and lib/env names the other device.
set -u
. /usk/tests/lib.sh

mapfile -t bdfs < <(nvme_bdfs)
[ "$(group_of "${bdfs[0]}")" = "$(group_of "${bdfs[1]}")" ] || fail "the controllers do not share a group"
PCI_ALLOWED=${bdfs[0]} HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
out=$(/usk/bin/env_attach "${bdfs[0]}" 2>&1)
rc=$?
echo "$out"
[ $rc -ne 0 ] || fail "a device of a group that is not viable was attached"
echo "$out" | grep -q "VFIO group $(group_of "${bdfs[0]}") is not viable" || fail "no message about the group"
echo "$out" | grep -q "${bdfs[1]}: driver nvme" || fail "the other device and its driver are not named"
# With the whole group on vfio-pci, it works.
HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
/usk/bin/env_attach "${bdfs[0]}" || fail "attach failed once the group was viable"
echo "PASS: a group that is not viable is explained"
