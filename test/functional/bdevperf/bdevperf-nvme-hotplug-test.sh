#!/bin/sh
# Host side of bdevperf-nvme-hotplug.sh.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 400 -c ns=64M \
	-a "$top_builddir/app/bdevperf/usk_bdevperf" \
	"$top_srcdir/test/functional/bdevperf/bdevperf-nvme-hotplug.sh"
