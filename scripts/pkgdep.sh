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

# Build: the autotools chain, a C compiler and the libraries libusk links
# (libaio for the aio bdev, where io_uring is forbidden).
build_pkgs="build-essential autoconf automake libtool pkg-config
	libcunit1-dev liburing-dev libaio-dev libnuma-dev libjansson-dev"
# Sanitizer runtime for clang builds, and the clang used by fuzzers.
check_pkgs="clang libclang-rt-14-dev"
# VM lab: a guest kernel comes from apt-get download, the guest runs under
# qemu with busybox in an initramfs packed by cpio; depmod is in kmod. The
# headers of that kernel build the lab's vfio module with the no-IOMMU mode.
vm_pkgs="qemu-system-x86 qemu-utils busybox-static cpio kmod dpkg-dev linux-headers-amd64"
# usk_nvme's tests run nvme-cli on the kernel's driver beside it and compare
# the two tools' JSON with jq.
vm_pkgs="$vm_pkgs nvme-cli jq"
# Benchmarks and tools: fio is the kernel reference, bench/syscalls.sh uses strace,
# scripts/test.sh --load runs the suite beside stress-ng (a busy build box),
# scripts/plot.py draws results with matplotlib, and a test whose usk_tgt
# stops answering prints its threads' stacks with gdb.
tool_pkgs="fio python3 python3-matplotlib pciutils strace stress-ng gdb"

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

export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -eq 0 ]; then
	echo "pkgdep.sh: all dependencies are installed"
else
	echo "pkgdep.sh: installing ${missing[*]}"
	$sudo_cmd apt-get update -q
	$sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# USK's fio engines (app/fio) are built against the headers of the fio that
# is installed, which Debian ships only in its source package. The source
# entries are enabled for this one download only: apt reads them from a
# private directory, with lists of its own, so the system's apt sources
# and package lists stay as they were.
fio_src_root=/usr/local/src/fio
fio_source() {
	local ver dir tmp
	ver=$(dpkg-query -W -f='${Version}' fio)
	dir=$fio_src_root/fio-$(fio --version | sed 's/^fio-//')
	if [ -f "$dir/config-host.h" ] && [ "$(cat "$dir/.usk-deb-version" 2>/dev/null)" = "$ver" ]; then
		echo "pkgdep.sh: fio's source $ver is in $dir"
		return 0
	fi
	echo "pkgdep.sh: fetching fio's source package $ver into $fio_src_root (for USK's fio engines)"
	tmp=$(mktemp -d)
	mkdir -p "$tmp/parts" "$tmp/lists/partial" "$tmp/cache/archives/partial"
	: >"$tmp/sources.list"
	# deb822 files (Debian 12) and one-line lists (older, Ubuntu) both become source entries.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && sed 's/^Types:.*/Types: deb-src/' "$f" >"$tmp/parts/$(basename "$f")"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && sed -n 's/^deb /deb-src /p' "$f" >>"$tmp/sources.list"
	done
	local apt_opts=(-q -o "Dir::Etc::SourceList=$tmp/sources.list"
		-o "Dir::Etc::SourceParts=$tmp/parts" -o "Dir::State::Lists=$tmp/lists"
		-o "Dir::Cache=$tmp/cache" -o APT::Sandbox::User=root)
	$sudo_cmd apt-get "${apt_opts[@]}" update >/dev/null
	$sudo_cmd mkdir -p "$fio_src_root"
	$sudo_cmd rm -rf "$dir"
	(cd "$fio_src_root" && $sudo_cmd apt-get "${apt_opts[@]}" source "fio=$ver" >/dev/null)
	$sudo_cmd rm -rf "$tmp"
	[ -d "$dir" ] || { echo "pkgdep.sh: apt-get source fio=$ver did not give $dir" >&2; return 1; }
	# config-host.h, which fio's headers include, comes from fio's configure.
	(cd "$dir" && $sudo_cmd ./configure --disable-native >/dev/null)
	echo "$ver" | $sudo_cmd tee "$dir/.usk-deb-version" >/dev/null
	echo "pkgdep.sh: fio's headers are in $dir (configure finds them there)"
}
fio_source
echo "pkgdep.sh: done"
