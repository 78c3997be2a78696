#!/bin/sh
# Host side of perf-hotplug.sh.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 -c ns=256M \
	-a "$top_builddir/app/nvme_perf/usk_nvme_perf" \
	"$top_srcdir/test/functional/perf/perf-hotplug.sh"
