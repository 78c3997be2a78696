#!/bin/sh
# Host side of env-errors.sh.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 \
	-a "$top_builddir/test/functional/env/env_attach" \
	"$top_srcdir/test/functional/env/env-errors.sh"
