#!/bin/sh
# Host side of nvme-rw.sh.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 \
	-c ns=64M,ns=32M:4096 -c ns=16M,mdts=5 \
	-a "$top_builddir/test/functional/nvme/nvme_rw" \
	"$top_srcdir/test/functional/nvme/nvme-rw.sh"
