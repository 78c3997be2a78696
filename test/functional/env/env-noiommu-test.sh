#!/bin/sh
# Host side of env-noiommu.sh: a guest without an IOMMU.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 400 --no-iommu --vfio-noiommu -c ns=64M \
	-a "$top_builddir/test/functional/env/env_identify" \
	-a "$top_builddir/test/functional/nvme/nvme_rw" \
	"$top_srcdir/test/functional/env/env-noiommu.sh"
