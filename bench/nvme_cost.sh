#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Instructions per 4 KiB read through usk_nvme_perf's engine against the NVMe
# controller model, data by PRPs and then by SGLs, counted by callgrind
# (bench/nvme_cost.c says how), split into submit (usk_nvme_ns_read,
# inclusive), reap (the poll minus the callback) and the perf tool's own work
# (the rest). Then instructions per I/O of
# usk_bdevperf on a null bdev (4 KiB randread, queue depth 128, one core),
# counted inside the reactor's thread polls (start-up and shutdown are not),
# split by where the code lives: the bdev layer (lib/bdev), the null module,
# lib/thread (the message that completes each null I/O, the poll loop), the
# tool (app/bdevperf) and the rest (libc, lib/env's pool). A count, not a
# time: the same on a busy machine. With a second build directory (an older
# tree built the same way) the two are printed side by side.
#
#   bench/nvme_cost.sh [BUILDDIR [BEFORE_BUILDDIR]] [READS] [SECONDS]
#
# Use release builds (configure without --enable-debug). A benchmark, not a
# test: it prints figures and fails only when a run fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
after=${1:-$here/../build}
before=${2:-}
reads=${3:-20000}
seconds=${4:-2}

config=$(mktemp /tmp/usk-bdev-cost.XXXXXX.json)
trap 'rm -f "$config"' EXIT
cat >"$config" <<'EOF'
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_null_create", "params": {"name": "Null0", "num_blocks": 2097152, "block_size": 4096}}]}]}
EOF

# Prints "part Ir-per-read" lines for the build in $1, data described by $2
# (prp or sgl); nothing for a build whose nvme_cost cannot use SGLs (older
# than the option: it would count PRPs).
nvme_cost() {
	local out said
	out=$(mktemp /tmp/usk-nvme-cost.XXXXXX)
	said=$(valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect=perf_ns_worker_poll "$1/bench/nvme_cost" "$reads" "$2" 2>/dev/null) || {
		echo "nvme_cost.sh: $1/bench/nvme_cost failed (make -C $1 bench/nvme_cost)" >&2
		rm -f "$out"
		return 1
	}
	if [ "$2" = sgl ] && [[ $said != *"with sgl"* ]]; then
		rm -f "$out"
		return 0
	fi
	python3 "$here/callgrind_split.py" "$out" --ios-from perf_ns_worker_poll \
		--part "submit=incl:usk_nvme_ns_read" \
		--part "reap=incl:usk_nvme_qpair_process_completions - incl:perf_nvme_io_done" \
		--part "tool=* - incl:usk_nvme_qpair_process_completions + incl:perf_nvme_io_done - incl:usk_nvme_ns_read"
	rm -f "$out"
}

# Prints "part Ir-per-I/O" lines for the build in $1.
bdev_cost() {
	local out core
	out=$(mktemp /tmp/usk-bdev-cost.XXXXXX)
	core=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=usk_thread_poll \
		"$1/app/bdevperf/usk_bdevperf" --json "$config" -m "[$core]" -q 128 -o 4k \
		-w randread -t "$seconds" >/dev/null 2>&1 || {
		echo "nvme_cost.sh: usk_bdevperf in $1 failed" >&2
		rm -f "$out"
		return 1
	}
	python3 "$here/callgrind_split.py" "$out" --ios-from usk_bdev_read_blocks \
		--part "bdev=self:lib/bdev/" --part "null=self:module/bdev/null/" \
		--part "thread=self:lib/thread/" --part "tool=self:app/bdevperf/" \
		--part "other=* - self:lib/bdev/ - self:module/bdev/null/ - self:lib/thread/ - self:app/bdevperf/"
	rm -f "$out"
}

# Prints the parts $1 (nvme_cost or bdev_cost, with the arguments after it)
# finds in the build, next to the older build's.
side_by_side() {
	local a b=""
	a=$("$1" "$after" "${@:2}")
	[ -z "$before" ] || b=$("$1" "$before" "${@:2}")
	python3 "$here/callgrind_split.py" --table "$a" "$b"
}

echo "Instructions (Ir) per 4 KiB random read, usk_nvme_perf's engine, queue depth 1,"
echo "NVMe controller model in-process (shadow doorbells), valgrind --tool=callgrind, $reads reads"
echo "Data by PRPs:"
side_by_side nvme_cost prp
echo "Data by SGLs (as in the VM lab: QEMU's device offers them, and the driver then uses them):"
side_by_side nvme_cost sgl
echo
echo "Instructions (Ir) per I/O, usk_bdevperf -q 128 -o 4k -w randread on a null bdev,"
echo "one core, valgrind --tool=callgrind inside usk_thread_poll, ${seconds} s"
side_by_side bdev_cost
