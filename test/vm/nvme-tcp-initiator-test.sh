#!/bin/sh
# Host side of test/vm/tests/nvme-tcp-initiator.sh: USK's NVMe/TCP initiator
# against the guest kernel's own target (nvmet, nvmet-tcp) on loopback.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 600 --module nvmet --module nvmet-tcp \
	-a "$top_builddir/app/nvme/usk_nvme" -a "$top_builddir/app/nvme_perf/usk_nvme_perf" \
	-a "$top_builddir/app/bdevperf/usk_bdevperf" \
	"$top_srcdir/test/vm/tests/nvme-tcp-initiator.sh"
