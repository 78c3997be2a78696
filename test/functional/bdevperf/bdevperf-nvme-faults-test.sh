#!/bin/sh
# Host side of bdevperf-nvme-faults.sh: three controllers, one per fault.
# The second's second namespace is the one QEMU throttles (drive c2n2); the
# third fails reads of sector 2048 of its namespace.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 600 \
	-c ns=64M -c ns=32M,ns=8M -c ns=16M,err=1:2048 \
	-a "$top_builddir/app/bdevperf/usk_bdevperf" \
	-a "$top_builddir/test/functional/tgt/rpc_call" \
	"$top_srcdir/test/functional/bdevperf/bdevperf-nvme-faults.sh" "${FAULTS_STORM_SECONDS:-30}"
