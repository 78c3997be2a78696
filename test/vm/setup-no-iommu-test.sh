#!/bin/sh
# Host side of test/vm/tests/setup-no-iommu.sh: boots the guest it needs and runs it.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 --no-iommu "$top_srcdir/test/vm/tests/setup-no-iommu.sh"
