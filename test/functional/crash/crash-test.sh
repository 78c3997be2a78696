#!/bin/sh
# Host side of crash.sh: one controller with two 64M namespaces (the writer
# on the first, usk_nvme_perf on the second). CRASH_CYCLES (default 50) and
# CRASH_PERF_EVERY (default 10) set the run. Measured (2026-12, a 2-core
# host at load 5): 50 cycles in 135 s of wall time, boot and check included,
# about 2.5 s a cycle; the limit allows 12 s a cycle and 300 s more.
cycles=${CRASH_CYCLES:-50}
exec "$top_srcdir/test/vm/vmlab.sh" --timeout $((300 + cycles * 12)) -c ns=64M,ns=64M \
	-a "$top_builddir/examples/nvme/crash_writer" \
	-a "$top_builddir/test/functional/crash/crash_check" \
	-a "$top_builddir/app/nvme_perf/usk_nvme_perf" \
	"$top_srcdir/test/functional/crash/crash.sh" "$cycles" "${CRASH_PERF_EVERY:-10}"
