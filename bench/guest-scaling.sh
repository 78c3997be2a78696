#!/bin/bash
# Guest half of bench/scaling.sh: usk_nvme_perf, 4 KiB random reads at
# queue depth 32, on 1 core with 1 controller and on 2 cores with 2
# controllers (each core a queue pair on each controller), alternating, in
# one boot. Prints each run's JSON between markers.
set -u
seconds=${1:-8}
rounds=${2:-3}

HUGEMEM=256 /usk/scripts/setup.sh config >/dev/null || exit 1
mapfile -t bdfs < <(/usk/scripts/setup.sh status 2>/dev/null | awk '$0 ~ /vfio-pci/ {print $1}')
[ "${#bdfs[@]}" -ge 2 ] || { echo "scaling: two controllers on vfio-pci wanted: ${bdfs[*]}"; exit 1; }

run() { # label mask trid...
	local label=$1 mask=$2
	shift 2
	local args=()
	for bdf in "$@"; do
		args+=(-r "trtype:PCIe traddr:$bdf")
	done
	echo "USK-BENCH $label"
	/usk/bin/usk_nvme_perf -c "$mask" "${args[@]}" -q 32 -o 4096 -w randread \
		-t "$seconds" --json 2>/dev/null
}

for _ in $(seq 1 "$rounds"); do
	run 1core-1ctrl 0x1 "${bdfs[0]}"
	run 2core-2ctrl 0x3 "${bdfs[0]}" "${bdfs[1]}"
done
echo "USK-BENCH end"
