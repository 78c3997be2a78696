#!/usr/bin/env bash
# Installs every package USK needs to build, test and run its VM lab on
# Debian or Ubuntu. Safe to run again: packages already present are skipped.
set -euo pipefail

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h|--help]

Installs USK's build and test dependencies with apt-get (run as root).
Only packages that are missing are installed; the list is printed first.
USAGE
}

case "${1:-}" in
-h | --help) usage; exit 0 ;;
"") ;;
*) echo "pkgdep.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac

# Build: the autotools chain, a C compiler and the libraries libusk links.
build_pkgs="build-essential autoconf automake libtool pkg-config
	libcunit1-dev liburing-dev libnuma-dev libjansson-dev"
# Sanitizer runtime for clang builds, and the clang used by fuzzers.
check_pkgs="clang libclang-rt-14-dev"
# VM lab: a guest kernel comes from apt-get download, the guest runs under
# qemu with busybox in an initramfs packed by cpio; depmod is in kmod. The
# headers of that kernel build the lab's vfio module with the no-IOMMU mode.
vm_pkgs="qemu-system-x86 qemu-utils busybox-static cpio kmod dpkg-dev linux-headers-amd64"
# Benchmarks and tools: fio is the kernel reference, bench/syscalls.sh uses strace,
# scripts/test.sh --load runs the suite beside stress-ng (a busy build box).
tool_pkgs="fio python3 pciutils strace stress-ng"

if ! command -v apt-get >/dev/null 2>&1; then
	echo "pkgdep.sh: apt-get not found; install these by hand:" >&2
	echo "  $build_pkgs $check_pkgs $vm_pkgs $tool_pkgs" | tr -s ' \t\n' ' ' >&2
	echo >&2
	exit 1
fi

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
	sudo_cmd="sudo"
fi

missing=()
for pkg in $build_pkgs $check_pkgs $vm_pkgs $tool_pkgs; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "pkgdep.sh: all dependencies are installed"
	exit 0
fi

echo "pkgdep.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -q
$sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "pkgdep.sh: done"
