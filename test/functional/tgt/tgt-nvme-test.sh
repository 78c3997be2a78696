#!/bin/sh
# Host side of tgt-nvme.sh: two controllers, the second with two namespaces.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 400 -c ns=32M -c ns=32M,ns=16M \
	-a "$top_builddir/app/tgt/usk_tgt" -a "$top_builddir/test/functional/tgt/rpc_call" \
	"$top_srcdir/test/functional/tgt/tgt-nvme.sh"
