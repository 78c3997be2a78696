#!/bin/sh
# Host side of test/vm/tests/metadata.sh: namespaces with separate metadata,
# extended LBAs with PI type 1, and 8 KiB blocks (a format USK does not serve).
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 300 \
	-c ns=16M:4096:ms=8:mset=0,ns=16M:512:ms=8:mset=1:pi=1,ns=16M:8192 \
	-a "$top_builddir/app/nvme/usk_nvme" -a "$top_builddir/app/nvme_perf/usk_nvme_perf" \
	"$top_srcdir/test/vm/tests/metadata.sh"
