#!/bin/sh
# Host side of perf-media-error.sh.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 -c ns=1M,err=1:8 \
	-a "$top_builddir/app/nvme_perf/usk_nvme_perf" \
	"$top_srcdir/test/functional/perf/perf-media-error.sh"
