#!/bin/sh
# Host side of env-identify.sh.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 \
	-a "$top_builddir/test/functional/env/env_identify" \
	"$top_srcdir/test/functional/env/env-identify.sh"
