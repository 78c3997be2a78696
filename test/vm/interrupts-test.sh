#!/bin/sh
# Host side of test/vm/tests/interrupts.sh: usk_nvme_perf in its interrupt
# modes on QEMU's NVMe controller (MSI-X through the guest's vfio-pci, with
# the emulated IOMMU's interrupt remapping).
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 420 -c ns=64M:4096 \
	-a "$top_builddir/app/nvme_perf/usk_nvme_perf" "$top_srcdir/test/vm/tests/interrupts.sh"
