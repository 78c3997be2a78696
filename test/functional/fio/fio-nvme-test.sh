#!/bin/sh
# Host side of fio-nvme.sh: fio with the usk_nvme engine in the VM lab.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 600 -c ns=128M \
	-a "$(command -v fio)" -a "$top_builddir/app/fio/.libs/usk_fio_nvme.so=/usk/lib/usk_fio_nvme.so" \
	"$top_srcdir/test/functional/fio/fio-nvme.sh"
