#!/bin/bash
# Guest half of bench/interrupts.sh: nvme_irq_cost, then the same workloads
# through USK in its three wait modes and through the kernel's nvme driver
# with fio (io_uring, interrupts), one core; then polling, adaptive, and
# adaptive masking its vector at every wake-up (--interrupt-keep 0) at qd
# 32, taking turns (single runs under TCG move by a third, and drift
# through a boot). Prints each run's JSON after a "USK-BENCH tool
# workload qd" line.
set -u
. /usk/tests/lib.sh
seconds=${1:-5}
turns=${2:-5}
TIMEFORMAT='%U %S'
dev=/dev/nvme0n1
rate=1000

# workload name, qd, extra options
run_usk() {
	local mode=$1 name=$2 qd=$3
	shift 3
	echo "USK-BENCH usk-$mode $name $qd"
	{ time /usk/bin/usk_nvme_perf -c 0x2 -q "$qd" -o 4096 -w randread -t "$seconds" -L \
		--json "$@" 2>/dev/null; } 2>/tmp/cpu
	echo "USK-CPU $(cat /tmp/cpu)"
}

run_fio() {
	local name=$1 qd=$2
	shift 2
	echo "USK-BENCH fio $name $qd"
	{ time /usk/bin/fio --name=bench --filename=$dev --ioengine=io_uring --direct=1 \
		--rw=randread --bs=4k --iodepth="$qd" --runtime="$seconds" --time_based \
		--numjobs=1 --cpus_allowed=1 --output-format=json "$@"; } 2>/tmp/cpu
	echo "USK-CPU $(cat /tmp/cpu)"
}

# Fill the namespace through the kernel first, so reads return data, not holes.
/usk/bin/fio --name=fill --filename=$dev --ioengine=io_uring --direct=1 --rw=write --bs=1M \
	--iodepth=8 --output-format=terse >/dev/null || exit 1
HUGEMEM=256 /usk/scripts/setup.sh config >/dev/null || exit 1
bdf=$(nvme_bdfs | head -n 1)
/usk/bin/nvme_irq_cost "$bdf" 2000 20000 | sed 's/^/USK-COST /'
for mode in poll adaptive interrupts; do
	opt=""
	[ $mode != poll ] && opt=--$mode
	run_usk $mode randread 1 $opt
	run_usk $mode randread 32 $opt
	run_usk $mode randread-${rate}iops 8 $opt --rate $rate
done
for _ in $(seq 1 "$turns"); do
	run_usk poll randread-turn 32
	run_usk adaptive randread-turn 32 --adaptive
	run_usk adaptive-masking randread-turn 32 --adaptive --interrupt-keep 0
done
/usk/scripts/setup.sh reset >/dev/null
for _ in $(seq 1 100); do
	[ -b $dev ] && break
	sleep 0.1
done
run_fio randread 1
run_fio randread 32
run_fio randread-${rate}iops 8 --rate_iops=$rate
echo "USK-BENCH end"
