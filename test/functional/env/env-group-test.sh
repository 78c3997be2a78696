#!/bin/sh
# Host side of env-group.sh: two controllers behind one bridge, one IOMMU group.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 -c ns=16M,shared=1 -c ns=16M,shared=1 \
	-a "$top_builddir/test/functional/env/env_attach" \
	"$top_srcdir/test/functional/env/env-group.sh"
