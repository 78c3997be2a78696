#!/bin/bash
# Guest: every workload on 2 namespaces from 2 cores, -V, the bad inputs,
# and --json (checked on the host by perf-test.sh).
set -u
. /usk/tests/lib.sh
perf=/usk/bin/usk_nvme_perf

# Bad input, before binding: a device on the kernel driver.
bdf=$(nvme_bdfs | head -n 1)
expect_bad() {
	local want=$1
	shift
	out=$("$perf" "$@" 2>&1)
	rc=$?
	[ $rc -eq 2 ] || fail "usk_nvme_perf $* exited $rc, not 2"
	echo "$out" | grep -q -- "$want" || fail "usk_nvme_perf $*: no message '$want': $out"
	echo "bad input ok: $*"
}
expect_bad "is on the nvme driver, not vfio-pci: run scripts/setup.sh" -r "trtype:PCIe traddr:$bdf" -t 1
expect_bad "no NVMe controller is bound to vfio-pci" -t 1

HUGEMEM=128 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
expect_bad "unknown workload" -w randomread
expect_bad "the queue depth must be 1..65535" -q 0
expect_bad "is not a multiple of the 512-byte block size" -o 1000 -t 1
expect_bad "names no device" -r "trtype:PCIe traddr:0000:09:00.0" -t 1
expect_bad "has no active namespace 7" -n 7 -t 1

# Sum of the rows equals the Total row (IOPS, 2 decimals; allow rounding).
check_table() {
	awk '/ from core / { n++; if ($(NF-4) + 0 <= 0) bad = 1; sum += $(NF-4) }
	     /^Total/ { total = $(NF-4) }
	     END { d = sum - total; if (d < 0) d = -d; exit !(n == 4 && !bad && d < 0.1 * n) }'
}
for w in read write randread randwrite rw randrw; do
	out=$("$perf" -c 0x3 -q 16 -o 4096 -w "$w" -t 2 2>&1)
	rc=$?
	echo "$out" | tail -n 7
	[ $rc -eq 0 ] || fail "-w $w exited $rc"
	echo "$out" | check_table || fail "-w $w: a row without I/O, or rows that do not add up"
done

out=$("$perf" -c 0x3 -q 8 -o 8192 -w randwrite -V -t 2 2>&1) || fail "-V failed: $out"
echo "$out" | grep -q "Errors on" && fail "-V reported errors"
echo "verify ok"
# Unaligned buffers through SGLs, checked byte for byte.
out=$("$perf" -q 8 -o 4096 -w randwrite --io-align 1 -V -t 2 2>&1) || fail "--io-align 1 -V failed: $out"
echo "$out" | grep -q "Errors on" && fail "--io-align 1 -V reported errors"
echo "unaligned verify ok"
# I/Os above the controller's maximum transfer (512 KiB here), split by the driver.
out=$("$perf" -q 4 -o 1m -w randwrite -V -t 2 2>&1) || fail "-o 1m -V failed: $out"
echo "$out" | grep -q "Errors on" && fail "-o 1m -V reported errors"
echo "split verify ok"
# --transport-stats: each queue pair (two namespaces here) completed I/Os; with
# shadow doorbells every SQ doorbell goes to the shadow and at most as many to
# the register, without them none to the shadow.
check_stats() {
	awk -v shadow="$1" '$1 == "completions:" { n++; if ($2 <= 0) bad = 1 }
	     $1 == "sq_mmio_doorbells:" { mmio = $2 }
	     $1 == "sq_shadow_updates:" { if (shadow ? $2 <= 0 || $2 < mmio : $2 != 0 || mmio <= 0) bad = 1 }
	     END { exit !(n == 2 && !bad) }'
}
out=$("$perf" -q 4 -w randread -t 1 --transport-stats 2>&1) || fail "--transport-stats failed: $out"
echo "$out" | check_stats 1 || fail "--transport-stats, shadow doorbells: $out"
out=$("$perf" -q 4 -w randread -t 1 --transport-stats --no-shadow-doorbells 2>&1) ||
	fail "--transport-stats --no-shadow-doorbells failed: $out"
echo "$out" | check_stats 0 || fail "--transport-stats, MMIO doorbells: $out"
echo "transport stats ok"

echo "USK-JSON-BEGIN"
"$perf" -c 0x1 -q 4 -w randread -t 2 -L --json 2>/dev/null || fail "--json run failed"
echo "USK-JSON-END"
echo "PASS: workloads, verify, bad input"
