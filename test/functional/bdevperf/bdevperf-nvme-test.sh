#!/bin/sh
# Host side of bdevperf-nvme.sh: one controller with two namespaces (512 B
# and 4 KiB blocks), driven through the nvme bdev module over VFIO.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 600 -c ns=64M,ns=32M:4096 \
	-a "$top_builddir/app/bdevperf/usk_bdevperf" \
	"$top_srcdir/test/functional/bdevperf/bdevperf-nvme.sh"
