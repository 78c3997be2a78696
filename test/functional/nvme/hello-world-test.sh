#!/bin/sh
# Host side of hello-world.sh.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 \
	-a "$top_builddir/examples/nvme/hello_world" \
	"$top_srcdir/test/functional/nvme/hello-world.sh"
