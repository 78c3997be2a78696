#!/bin/bash
# Guest: usk_nvme_perf --interrupts and --adaptive run a verify workload and
# random reads (closed loop, and at a fixed rate) to completion on QEMU's
# NVMe device, with every I/O correct; the worker really slept on the
# queue pairs' eventfds, and the kernel really took the device's MSI-X
# interrupts for them (/proc/interrupts). Functional only: no time is checked.
set -u
. /usk/tests/lib.sh

HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
bdf=$(nvme_bdfs | head -n 1)
trid="trtype:PCIe traddr:$bdf"
number() { echo "$1" | sed -n "s/.*\"$2\": \([0-9.e+-]*\).*/\1/p" | tail -n 1; }
# Interrupts taken for vector 1 (the I/O queue pair's): listed only while its
# eventfd is assigned (VFIO frees the irq of a masked vector), so sampled.
vector1_irqs() {
	grep "vfio-msix\[1\]($bdf)" /proc/interrupts |
		awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }'
}

# perf NAME OPTIONS...: runs it to completion with no error; leaves the JSON total in $total.
perf() {
	local name=$1 json
	shift
	json=$(/usk/bin/usk_nvme_perf -r "$trid" -t 2 --json "$@" 2>/tmp/perf.err) ||
		fail "$name: usk_nvme_perf failed: $(cat /tmp/perf.err)"
	total=$(echo "$json" | tr -d '\n' | sed 's/.*"total"://')
	[ "$(number "$total" errors)" = 0 ] || fail "$name: errors: $total"
	[ "$(number "$total" ios)" -gt 0 ] || fail "$name: no I/O completed: $total"
	echo "$name: $(number "$total" ios) I/Os, $(number "$total" sleeps) sleeps"
}

perf "interrupts, verify" --interrupts -V -q 4 -o 4096
[ "$(number "$total" sleeps)" -gt 0 ] || fail "--interrupts never slept: $total"

perf "interrupts, randread qd 32" --interrupts -w randread -q 32
perf "adaptive, randread qd 1" --adaptive -w randread -q 1
perf "adaptive, verify" --adaptive -V -q 8
# At 200 IOPS the worker sleeps most of the time: the kernel's count of the
# vector's interrupts, sampled meanwhile, grows.
perf "interrupts, 200 IOPS" --interrupts -w randread -q 4 --rate 200 &
most=0
while kill -0 $! 2>/dev/null; do
	n=$(vector1_irqs)
	[ "$n" -gt "$most" ] && most=$n
	sleep 0.2
done
wait $! || exit 1
[ "$most" -gt 0 ] || fail "the kernel took no interrupt of vector 1 of $bdf"
echo "vfio-msix[1] interrupts seen: $most"
perf "interrupts, 200 IOPS, sleeps" --interrupts -w randread -q 4 --rate 200
[ "$(number "$total" sleeps)" -gt 0 ] || fail "--rate 200 --interrupts never slept: $total"
perf "adaptive, 200 IOPS" --adaptive -w randread -q 4 --rate 200
[ "$(number "$total" sleeps)" -gt 0 ] || fail "--rate 200 --adaptive never slept: $total"
perf "polling" -w randread -q 4
[ "$(number "$total" sleeps)" = 0 ] || fail "poll-only mode slept: $total"
# Nothing of the interrupt modes is left behind: the kernel's driver takes the device back.
/usk/scripts/setup.sh reset >/dev/null || fail "setup.sh reset"
echo "interrupts: ok"
