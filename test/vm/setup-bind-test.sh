#!/bin/sh
# Host side of test/vm/tests/setup-bind.sh: boots the guest it needs and runs it.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 -c ns=64M,ns=128M:4096 -c ns=32M \
	-a "$top_builddir/app/nvme_perf/usk_nvme_perf" "$top_srcdir/test/vm/tests/setup-bind.sh"
