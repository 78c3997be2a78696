#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Instructions per 4 KiB read through usk_nvme_perf's engine against the NVMe
# controller model, counted by callgrind (bench/nvme_cost.c says how), split
# into submit (usk_nvme_ns_read, inclusive), reap (the poll minus the callback)
# and the perf tool's own work (the rest); then instructions per I/O of
# usk_bdevperf on a null bdev (bench/bdev_cost.sh). A count, not a time: the
# same on a busy machine. With a second build directory (an older tree built
# the same way) the two are printed side by side.
#
#   bench/nvme_cost.sh [BUILDDIR [BEFORE_BUILDDIR]] [READS]
#
# Use release builds (configure without --enable-debug). A benchmark, not a
# test: it prints figures and fails only when a run fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
after=${1:-$here/../build}
before=${2:-}
reads=${3:-20000}

# Prints "part Ir-per-read" lines for the build in $1.
nvme_cost() {
	local out
	out=$(mktemp /tmp/usk-nvme-cost.XXXXXX)
	valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect=perf_ns_worker_poll "$1/bench/nvme_cost" "$reads" >/dev/null 2>&1 || {
		echo "nvme_cost.sh: $1/bench/nvme_cost failed (make -C $1 bench/nvme_cost)" >&2
		rm -f "$out"
		return 1
	}
	python3 "$here/callgrind_split.py" "$out" --ios-from perf_ns_worker_poll \
		--part "submit=incl:usk_nvme_ns_read" \
		--part "reap=incl:usk_nvme_qpair_process_completions - incl:perf_nvme_io_done" \
		--part "tool=* - incl:usk_nvme_qpair_process_completions + incl:perf_nvme_io_done - incl:usk_nvme_ns_read"
	rm -f "$out"
}

echo "Instructions (Ir) per 4 KiB random read, usk_nvme_perf's engine, queue depth 1,"
echo "NVMe controller model in-process (shadow doorbells), valgrind --tool=callgrind, $reads reads"
a=$(nvme_cost "$after")
b=""
if [ -n "$before" ]; then
	b=$(nvme_cost "$before")
fi
python3 "$here/callgrind_split.py" --table "$a" "$b"
echo
if [ -n "$before" ]; then
	"$here/bdev_cost.sh" "$after" "$before"
else
	"$here/bdev_cost.sh" "$after"
fi
