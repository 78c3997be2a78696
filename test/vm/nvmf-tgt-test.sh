#!/bin/sh
# Host side of test/vm/tests/nvmf-tgt.sh: usk_tgt in the guest exports a
# malloc bdev and the emulated SSD (an nvme bdev on vfio-pci) over NVMe/TCP
# to the guest kernel's own nvme-tcp host, driven by nvme-cli, then to
# USK's own initiator (usk_nvme discover, usk_nvme_perf, usk_bdevperf).
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 1200 -c ns=64M --module nvme-tcp \
	-a "$top_builddir/app/tgt/usk_tgt" -a "$top_builddir/test/functional/tgt/rpc_call" \
	-a "$top_builddir/app/nvme/usk_nvme" -a "$top_builddir/app/nvme_perf/usk_nvme_perf" \
	-a "$top_builddir/app/bdevperf/usk_bdevperf" \
	-a "$(command -v nvme)" -a "$(command -v mkfs.ext4)" -a "$(command -v fio)" \
	"$top_srcdir/test/vm/tests/nvmf-tgt.sh"
