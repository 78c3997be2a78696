#!/bin/sh
# Host side of nvme-cli-compat.sh: nvme-cli (Debian's, on the kernel's
# driver) and usk_nvme (on vfio-pci) run the same command lines on one
# controller whose MDTS is 64 KiB, with a plain namespace, one with
# separate metadata and one with extended 512 + 8-byte blocks, PI type 1.
for tool in nvme jq; do
	command -v $tool >/dev/null || { echo "SKIP: $tool is not installed (scripts/pkgdep.sh)"; exit 77; }
done
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 600 \
	-c ns=32M:4096,ns=16M:4096:ms=8:mset=0,ns=16M:512:ms=8:mset=1:pi=1,mdts=4 \
	-a "$top_builddir/app/nvme/usk_nvme" -a "$(command -v nvme)" -a "$(command -v jq)" \
	"$top_srcdir/test/functional/nvme/nvme-cli-compat.sh"
