#!/bin/bash
# Guest half of bench/fio-engines.sh: 4 KiB random reads at queue depth 1
# and 32 on one core, through fio with io_uring on the kernel's nvme
# driver, through usk_nvme_perf, and through fio with the usk_nvme engine,
# on one emulated SSD in one boot. Prints each run's JSON after a line
# "USK-FIO tool qd" (the host parses them: the guest has no python).
# fio-usk_nvme-lean is fio with gtod_reduce=1 and clocksource=cpu: fio's
# own clock reads, which go through the guest kernel's clocksource, are
# most of its cost per I/O under TCG.
set -u
seconds=${1:-8}
echo "USK-FIO-CLOCKSOURCE $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
dev=/dev/nvme0n1
engine=/usk/lib/usk_fio_nvme.so

# Fill the namespace once, so reads return data, not holes.
/usk/bin/fio --name=fill --filename=$dev --ioengine=io_uring --direct=1 --rw=write --bs=1M \
	--iodepth=8 --output-format=terse >/dev/null || exit 1
for qd in 1 32; do
	echo "USK-FIO fio-io_uring $qd"
	/usk/bin/fio --name=k --filename=$dev --ioengine=io_uring --direct=1 --rw=randread \
		--bs=4k --iodepth=$qd --runtime="$seconds" --time_based --cpus_allowed=1 \
		--output-format=json
done
HUGEMEM=256 /usk/scripts/setup.sh config >/dev/null || exit 1
bdf=$(ls /sys/bus/pci/drivers/vfio-pci | grep : | head -n 1)
for qd in 1 32; do
	echo "USK-FIO usk_nvme_perf $qd"
	/usk/bin/usk_nvme_perf -c 0x2 -q $qd -o 4096 -w randread -t "$seconds" --json 2>/dev/null
done
for lean in "" "--gtod_reduce=1 --clocksource=cpu"; do
	for qd in 1 32; do
		echo "USK-FIO fio-usk_nvme${lean:+-lean} $qd"
		# shellcheck disable=SC2086 # $lean is a list of options
		/usk/bin/fio --name=u --thread=1 --ioengine=$engine \
			--filename="trtype=PCIe traddr=$(echo "$bdf" | tr : .) ns=1" --rw=randread \
			--bs=4k --iodepth=$qd --runtime="$seconds" --time_based --cpus_allowed=1 \
			--output-format=json $lean
	done
done
echo "USK-FIO end"
