#!/bin/sh
# Host side of usk-nvme.sh.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 -c ns=32M:4096 \
	-a "$top_builddir/app/nvme/usk_nvme" -a "$(command -v jq)" \
	"$top_srcdir/test/functional/nvme/usk-nvme.sh"
