#!/bin/sh
# Host side of nvme-cmds.sh.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 -c ns=64M \
	-a "$top_builddir/test/functional/nvme/nvme_cmds" \
	"$top_srcdir/test/functional/nvme/nvme-cmds.sh"
