#!/bin/sh
# Host side of test/vm/tests/media-error.sh.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 -c ns=16M,err=1:2048 \
	"$top_srcdir/test/vm/tests/media-error.sh"
