#!/bin/bash
# Guest: reads of one bad sector (injected by the lab) fail with Unrecovered
# Read Error through USK, on exactly those requests; the others succeed.
set -u
. /usk/tests/lib.sh

HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
# 1 MiB in 4 KiB reads: 256 slots, one of which covers sector 8.
out=$(/usk/bin/usk_nvme_perf -q 4 -o 4096 -w randread -t 2 --json 2>/dev/null)
rc=$?
echo "$out" | head -c 2000
[ $rc -eq 1 ] || fail "usk_nvme_perf exited $rc, not 1"
errors=$(echo "$out" | sed -n 's/.*"errors": \([0-9]*\).*/\1/p' | head -n 1)
ios=$(echo "$out" | sed -n 's/.*"ios": \([0-9]*\).*/\1/p' | head -n 1)
echo "$out" | tr -d ' \n' | grep -q '"sct":2,"sc":129,"status":"UnrecoveredReadError"' ||
	fail "the failures are not Unrecovered Read Error"
[ "$errors" -gt 0 ] && [ "$errors" -lt $((ios / 100)) ] ||
	fail "$errors of $ios reads failed: expected about 1 in 256, the ones at sector 8"
echo "PASS: $errors of $ios reads hit the bad sector and failed with the right status"
