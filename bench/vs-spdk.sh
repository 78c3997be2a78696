#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# usk_nvme_perf against SPDK's spdk_nvme_perf in one boot of the VM lab,
# on the same emulated SSD bound to vfio-pci: 4 KiB random reads on one
# core at queue depth 32 and 1, ROUNDS rounds, each tool first in every
# other round so drift on a shared host falls on both alike. Prints, per
# queue depth, each tool's median and best IOPS, average latency and
# doorbell writes per I/O, and USK/SPDK. Figures only: it fails when a run
# fails, never on a figure. It does not build SPDK: bring your own.
#
#   bench/vs-spdk.sh [SPDK_PERF [BUILDDIR [SECONDS [ROUNDS]]]]
#   (VS_SPDK_LOG=FILE keeps every run's own output there)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in -h | --help)
	sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 0 ;;
esac
spdk=${1:-${SPDK_PERF:-}}
build=${2:-$top/build}
seconds=${3:-5}
rounds=${4:-6}
usk=$build/app/nvme_perf/usk_nvme_perf
[ -x "$usk" ] || { echo "vs-spdk.sh: $usk is not built (make -C $build)" >&2; exit 1; }
if [ -z "$spdk" ] || [ ! -x "$spdk" ]; then
	cat >&2 <<EOF
vs-spdk.sh: give the path of an spdk_nvme_perf (first argument or SPDK_PERF).
Build one outside this tree, release and linked statically, for a CPU that
QEMU's TCG emulates (-cpu max has no AVX-512), e.g.:
  git clone https://github.com/spdk/spdk && cd spdk && git submodule update --init
  ./configure --target-arch=corei7 --disable-tests --disable-unit-tests --disable-examples
  make -j && ls build/bin/spdk_nvme_perf
EOF
	exit 1
fi

# What spdk_nvme_perf loads that ldd does not list: OpenSSL's configuration
# (SPDK initialises OpenSSL for NVMe/TCP's TLS and fails without it) and
# libgcc_s, which glibc opens when the tool cancels its threads at exit.
ssl_conf=$(readlink -f /usr/lib/ssl/openssl.cnf)
[ -f "$ssl_conf" ] || { echo "vs-spdk.sh: no /usr/lib/ssl/openssl.cnf (apt-get install openssl)" >&2; exit 1; }
libgcc=$(ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ {print $NF; exit}')
[ -n "$libgcc" ] || { echo "vs-spdk.sh: no libgcc_s.so.1 (apt-get install libgcc-s1)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$top/test/vm/vmlab.sh" --timeout $((300 + 4 * rounds * (seconds + 15))) -m 1536 -c ns=1G:4096 \
	-a "$usk" -a "$spdk=/usk/bin/spdk_nvme_perf" -a "$ssl_conf=/usr/lib/ssl/openssl.cnf" \
	-a "$libgcc=$libgcc" \
	"$top/bench/guest-vs-spdk.sh" "$seconds" "$rounds" >"$out" || {
	rc=$?
	cat "$out"
	echo "vs-spdk.sh: the guest failed (status $rc); its output is above" >&2
	exit 1
}
[ -z "${VS_SPDK_LOG:-}" ] || cp "$out" "$VS_SPDK_LOG"
echo "vs-spdk: $(date -u +%Y-%m-%d), QEMU $(qemu-system-x86_64 --version | awk 'NR==1 {print $4}') TCG," \
	"2 vCPUs on $(nproc) host CPUs, one emulated SSD (1 GiB, 4 KiB blocks), 4 KiB randread on one core," \
	"$rounds rounds x $seconds s; host load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
echo "vs-spdk: usk_nvme_perf -q QD -o 4096 -w randread -t $seconds -c 0x1 -r TRID --transport-stats"
echo "vs-spdk: spdk_nvme_perf -q QD -o 4096 -w randread -t $seconds -c 0x1 -r TRID -A 4096 --iova-mode pa --transport-stats"
python3 "$top/bench/vs_spdk_table.py" "$seconds" <"$out"
