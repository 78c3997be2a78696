#!/usr/bin/env bash
# The VM lab: boots a QEMU guest (TCG, q35, intel-iommu with its default
# 39-bit address width) with emulated NVMe SSDs, runs a test script inside
# it and returns the script's output and exit status.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
lab=$top/test/vm
cache=${USK_VM_CACHE:-/var/tmp/usk-vm-cache}
timeout=180
mem=1024
smp=2
ctrls=()
adds=()
extra_modules=()
workdir=""
keep=no
hugepages=0
iommu=yes
vfio_noiommu=no

usage() {
	cat <<USAGE
Usage: test/vm/vmlab.sh [options] SCRIPT [ARGS...]

Boots a guest with emulated NVMe controllers, runs SCRIPT (sh or bash)
inside it as root with ARGS, prints what it prints, and exits with its
status (124 on timeout, 1 if the guest died during the test, 99 if QEMU
crashed or the guest failed to boot twice: the lab's fault, not the test's).

Options:
  -c, --ctrl SPEC     add a controller (repeatable; default: one with one 64M
                      namespace). SPEC is comma-separated key=value:
                        ns=SIZE[:LBA]   a namespace, e.g. ns=64M or ns=1G:4096
                                        (repeatable; LBA size 512 by default)
                        mdts=N          max data transfer, 2^N pages
                        qpairs=N        max I/O queue pairs
                        cmb=MB          controller memory buffer size
                        serial=TEXT     serial number (default usk-N)
                        id=NAME         QOM id, for QMP device_del (default nvN)
                        shared=1        behind a PCI bridge shared with the other
                                        shared=1 controllers: one IOMMU group
                        err=NS:SECTOR[:once]
                                        I/O to that 512-byte sector of
                                        namespace NS fails (blkdebug, EIO):
                                        Unrecovered Read Error, Write Fault
  -a, --add PATH[=DEST]
                      copy a file into the guest (default DEST: /usk/bin/NAME
                      for executables, /usk/NAME otherwise) with every shared
                      library ldd lists; scripts/setup.sh is always there as
                      /usk/scripts/setup.sh
      --module NAME   copy kernel module NAME and what it depends on into the
                      guest (repeatable); the script loads it with modprobe
  -t, --timeout SEC   wall-clock limit for the whole run (default 180)
  -m, --mem MB        guest memory (default 1024)
      --smp N         guest CPUs (default 2)
      --hugepages N   2 MiB hugepages to reserve at boot (default 0)
      --no-iommu      boot without the emulated IOMMU (to test what fails)
      --vfio-noiommu  give the guest a vfio module with the no-IOMMU mode
                      (built once from Debian's linux-source, then cached)
      --cache DIR     where the guest kernel is kept (default \$USK_VM_CACHE
                      or /var/tmp/usk-vm-cache)
      --workdir DIR   keep disk images, console log and QMP socket here
      --keep          do not delete the work directory
  -h, --help          this text

Inside the guest, SCRIPT runs in /usk with PATH including /usk/bin. A line
"USK-VM-QMP <json>" that it prints is sent to QEMU's QMP socket by the host
within a fraction of a second (e.g. a device_del for hot-unplug); the
script then watches sysfs for the effect. The host's console log, QMP
socket and disk images are in the work directory.
USAGE
}

die() {
	echo "vmlab: $*" >&2
	exit 1
}

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		-c | --ctrl) ctrls+=("$2"); shift ;;
		-a | --add) adds+=("$2"); shift ;;
		--module) extra_modules+=("$2"); shift ;;
		-t | --timeout) timeout=$2; shift ;;
		-m | --mem) mem=$2; shift ;;
		--smp) smp=$2; shift ;;
		--hugepages) hugepages=$2; shift ;;
		--no-iommu) iommu=no ;;
		--vfio-noiommu) vfio_noiommu=yes ;;
		--cache) cache=$2; shift ;;
		--workdir) workdir=$2; shift ;;
		--keep) keep=yes ;;
		-h | --help) usage; exit 0 ;;
		--) shift; break ;;
		-*) echo "vmlab: unknown option '$1'" >&2; usage >&2; exit 2 ;;
		*) break ;;
		esac
		shift
	done
	[ $# -ge 1 ] || { usage >&2; exit 2; }
	script=$1
	shift
	script_args=("$@")
	[ -f "$script" ] || die "no such test script: $script"
	[ ${#ctrls[@]} -gt 0 ] || ctrls=("ns=64M")
}

# shellcheck source=test/vm/lib/kernel.sh
. "$lab/lib/kernel.sh"
# shellcheck source=test/vm/lib/initramfs.sh
. "$lab/lib/initramfs.sh"
# shellcheck source=test/vm/lib/qemu.sh
. "$lab/lib/qemu.sh"
# shellcheck source=test/vm/lib/noiommu.sh
. "$lab/lib/noiommu.sh"

main() {
	parse_args "$@"
	for tool in qemu-system-x86_64 busybox cpio depmod python3; do
		command -v "$tool" >/dev/null ||
			die "$tool is missing: run scripts/pkgdep.sh"
	done
	local owned=no
	if [ -z "$workdir" ]; then
		workdir=$(mktemp -d "${TMPDIR:-/tmp}/usk-vm.XXXXXX")
		owned=yes
	fi
	mkdir -p "$workdir"
	# shellcheck disable=SC2064 # expand now: the values are fixed
	trap "vm_cleanup; [ $owned = no ] || [ $keep = yes ] || rm -rf '$workdir'" EXIT

	kernel_fetch "$cache"
	[ "$vfio_noiommu" = no ] || noiommu_vfio_build "$cache"
	initramfs_build "$workdir/initrd.cpio"
	# QEMU 7.2 itself has crashed (SIGSEGV) in about one NVMe hot-unplug under
	# I/O in twelve, and a TCG guest on a loaded host can fail to boot: those
	# faults, which happen before or beside the test and not in it, get a
	# second boot, said aloud.
	local rc=0
	vm_run || rc=$?
	case $rc in
	125) echo "vmlab: booting the guest once more after QEMU's crash" >&2 ;;
	126) echo "vmlab: booting the guest once more after the failed boot" >&2 ;;
	esac
	rc=0
	vm_run || rc=$?
	# 99 is automake's "hard error": the lab failed, not the test.
	echo "vmlab: the lab could not run the test (QEMU or the guest failed twice before" \
		"it ended): an environment fault, not a test result" >&2
	exit 99
}

main "$@"
