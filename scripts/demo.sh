#!/usr/bin/env bash
# The demo: usk_nvme_perf through VFIO. On a machine whose NVMe controllers
# are bound to vfio-pci it runs there; otherwise it boots the VM lab with an
# emulated SSD and runs inside. Installs and builds what is missing first.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
perf=$build/app/nvme_perf/usk_nvme_perf

usage() {
	cat <<USAGE
Usage: scripts/demo.sh [usk_nvme_perf options]

Runs usk_nvme_perf (default: -q 32 -o 4096 -w randread -t 5 -L) on the
controllers bound to vfio-pci, or, when there are none, in a QEMU guest
with an emulated 1 GiB NVMe SSD behind a 39-bit IOMMU. Installs the
dependencies (scripts/pkgdep.sh) and builds USK in build/ when needed.
'usk_nvme_perf --help' lists the options.
USAGE
}

case "${1:-}" in -h | --help) usage; exit 0 ;; esac
[ $# -gt 0 ] || set -- -q 32 -o 4096 -w randread -t 5 -L

# Builds USK when the binary is missing; make keeps it current otherwise.
if [ ! -f "$build/Makefile" ]; then
	"$top/scripts/pkgdep.sh"
	(cd "$top" && ./autogen.sh >/dev/null)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" >/dev/null)
fi
make -C "$build" -j"$(nproc)" app/nvme_perf/usk_nvme_perf >/dev/null

bound=no
for dev in /sys/bus/pci/devices/*; do
	if [ "$(cat "$dev/class" 2>/dev/null)" = 0x010802 ] &&
		[ "$(basename "$(readlink "$dev/driver" 2>/dev/null)")" = vfio-pci ]; then
		bound=yes
	fi
done

if [ "$bound" = yes ]; then
	exec "$perf" "$@"
fi
echo "demo: no NVMe controller on vfio-pci here: booting the VM lab with an emulated SSD" >&2
exec "$top/test/vm/vmlab.sh" --timeout 600 -c ns=1G -a "$perf" \
	"$top/test/vm/tests/run-perf.sh" "$@"
