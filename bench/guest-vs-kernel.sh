#!/bin/bash
# Guest half of bench/vs-kernel.sh: the same workloads through the kernel's
# nvme driver with fio (io_uring, interrupts and polled) and through USK,
# on one emulated SSD, one core. Prints each run's JSON between markers,
# with the whole latency histogram (fio's json+, of its total latency as
# usk_nvme_perf measures it; usk_nvme_perf's -LL) for scripts/plot.py.
set -u
seconds=${1:-8}
dev=/dev/nvme0n1
TIMEFORMAT='%U %S'

kernel_driver() {
	/usk/scripts/setup.sh reset >/dev/null
	# Polled queues for fio's hipri runs; interrupts serve the others.
	rmmod nvme 2>/dev/null
	modprobe nvme poll_queues=1 || return 1
	for _ in $(seq 1 100); do
		[ -b $dev ] && return 0
		sleep 0.1
	done
	return 1
}

run_fio() { # workload qd hipri
	local hipri=""
	[ "$3" = 1 ] && hipri="--hipri"
	echo "USK-BENCH fio$([ "$3" = 1 ] && echo -hipri) $1 $2"
	{ time /usk/bin/fio --name=bench --filename=$dev --ioengine=io_uring $hipri --direct=1 \
		--rw="$1" --bs=4k --iodepth="$2" --runtime="$seconds" --time_based --numjobs=1 \
		--cpus_allowed=1 --lat_percentiles=1 --output-format=json+; } 2>/tmp/cpu
	echo "USK-CPU $(cat /tmp/cpu)"
}

run_usk() { # workload qd shadow
	local mmio=""
	[ "$3" = 0 ] && mmio="--no-shadow-doorbells"
	echo "USK-BENCH usk$([ "$3" = 0 ] && echo -mmio) $1 $2"
	{ time /usk/bin/usk_nvme_perf -c 0x2 -q "$2" -o 4096 -w "$1" -t "$seconds" -LL --json \
		$mmio 2>/dev/null; } 2>/tmp/cpu
	echo "USK-CPU $(cat /tmp/cpu)"
}

kernel_driver || { echo "the kernel's nvme driver did not come back"; exit 1; }
# Write the whole namespace once, so reads return data, not holes.
/usk/bin/fio --name=fill --filename=$dev --ioengine=io_uring --direct=1 --rw=write --bs=1M \
	--iodepth=8 --output-format=terse >/dev/null || exit 1
for w in randread randwrite; do
	for qd in 1 32; do
		run_fio $w $qd 0
		run_fio $w $qd 1
	done
done
HUGEMEM=256 /usk/scripts/setup.sh config >/dev/null || exit 1
for w in randread randwrite; do
	for qd in 1 32; do
		run_usk $w $qd 1
		run_usk $w $qd 0
	done
done
echo "USK-BENCH end"
