#!/bin/sh
# Host side of tgt-idle-nvme.sh: an idle usk_tgt with an nvme bdev sleeps,
# and a sleeping reactor is woken by the queue pair's MSI-X eventfd.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 420 -c ns=64M \
	-a "$top_builddir/app/tgt/usk_tgt" -a "$top_builddir/app/bdevperf/usk_bdevperf" \
	-a "$top_builddir/test/functional/tgt/rpc_call" \
	"$top_srcdir/test/functional/tgt/tgt-idle-nvme.sh"
