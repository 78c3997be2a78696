#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Instructions per I/O of usk_bdevperf on a null bdev (4 KiB randread, queue
# depth 128, one core), counted by callgrind inside the reactor's thread polls
# (start-up and shutdown are not counted), split by where the code lives: the
# bdev layer (lib/bdev), the null module, lib/thread (the message that
# completes each null I/O, the poll loop), the tool (app/bdevperf) and the
# rest (libc, lib/util). With a second build directory the two are printed
# side by side.
#
#   bench/bdev_cost.sh [BUILDDIR [BEFORE_BUILDDIR]] [SECONDS]
#
# A benchmark, not a test: it prints figures and fails only when a run fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
after=${1:-$here/../build}
before=${2:-}
seconds=${3:-2}

config=$(mktemp /tmp/usk-bdev-cost.XXXXXX.json)
trap 'rm -f "$config"' EXIT
cat >"$config" <<'EOF'
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_null_create", "params": {"name": "Null0", "num_blocks": 2097152, "block_size": 4096}}]}]}
EOF

# Prints "part Ir-per-I/O" lines for the build in $1.
bdev_cost() {
	local out core
	out=$(mktemp /tmp/usk-bdev-cost.XXXXXX)
	core=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=usk_thread_poll \
		"$1/app/bdevperf/usk_bdevperf" --json "$config" -m "[$core]" -q 128 -o 4k \
		-w randread -t "$seconds" >/dev/null 2>&1 || {
		echo "bdev_cost.sh: usk_bdevperf in $1 failed" >&2
		rm -f "$out"
		return 1
	}
	python3 "$here/callgrind_split.py" "$out" --ios-from usk_bdev_read_blocks \
		--part "bdev=self:lib/bdev/" --part "null=self:module/bdev/null/" \
		--part "thread=self:lib/thread/" --part "tool=self:app/bdevperf/" \
		--part "other=* - self:lib/bdev/ - self:module/bdev/null/ - self:lib/thread/ - self:app/bdevperf/"
	rm -f "$out"
}

echo "Instructions (Ir) per I/O, usk_bdevperf -q 128 -o 4k -w randread on a null bdev,"
echo "one core, valgrind --tool=callgrind inside usk_thread_poll, ${seconds} s"
a=$(bdev_cost "$after")
b=""
if [ -n "$before" ]; then
	b=$(bdev_cost "$before")
fi
python3 "$here/callgrind_split.py" --table "$a" "$b"
