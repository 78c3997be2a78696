#!/bin/bash
# scripts/plot.py on real results of each kind it reads: usk_bdevperf on a
# null bdev, fio on a /dev/shm file (json+ with a document a second, and
# plain json), and usk_nvme_perf from a run in the VM lab (plot-data/: the
# -LL --json of bench/vs-kernel.sh --plot, whitespace taken out; the lab is
# too slow to boot here). Each gives its figures, PNG and SVG, with the
# curves and labels in them; runs overlay; a file of none of the kinds, a
# missing one and bad options exit 2 saying why and write nothing.
set -u
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
plot=$top_srcdir/scripts/plot.py
bdevperf=$top_builddir/app/bdevperf/usk_bdevperf
sample=$top_srcdir/test/scripts/plot-data/usk_nvme_perf-randread-qd32.json
work=$(mktemp -d)
shm=/dev/shm/usk-plot-test.$$
trap 'rm -rf "$work" "$shm"' EXIT
. "$top_srcdir/test/common/check.sh"

# PNGs with their signature and more than a blank canvas's bytes.
png_ok() {
	for file in "$@"; do
		if ! [ -f "$file" ] ||
			[ "$(head -c 8 "$file" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ] ||
			[ "$(stat -c %s "$file")" -le 8000 ]; then
			echo "  $file: missing, not a PNG, or trivial"
			return 1
		fi
	done
}
# An SVG that has the text of each further argument (legend labels, axis names).
svg_has() {
	local file=$1
	shift
	grep -q '<svg' "$file" 2>/dev/null || { echo "  $file: not an SVG"; return 1; }
	for text in "$@"; do
		grep -qF "$text" "$file" || { echo "  $file: no '$text'"; return 1; }
	done
}
# An SVG with a drawn line of at least $2 points (axes and grid lines have two).
svg_curve() {
	python3 - "$1" "$2" <<'PY'
import re, sys
svg = open(sys.argv[1]).read()
points = max((d.count("L") + 1 for d in re.findall(r'<path d="([^"]*)"', svg)), default=0)
sys.exit(0 if points >= int(sys.argv[2]) else f"  {sys.argv[1]}: longest line {points} points")
PY
}
# Exit status 2 and the message, and no figure written.
fails_with() { # message, then plot.py's arguments
	local want=$1
	shift
	"$plot" -o "$work/bad" "$@" >"$work/bad.out" 2>&1
	local got=$?
	[ $got = 2 ] || { echo "  exit $got, wanted 2:"; cat "$work/bad.out"; return 1; }
	grep -qF -- "$want" "$work/bad.out" || { echo "  no '$want':"; cat "$work/bad.out"; return 1; }
	! ls "$work"/bad-* >/dev/null 2>&1 || { echo "  a figure was written"; return 1; }
}

core=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
cat >"$work/null.json" <<'JSON'
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_null_create", "params": {"name": "Null0", "num_blocks": 65536, "block_size": 4096}}]}]}
JSON
check "usk_bdevperf --json-output --latency-histogram on a null bdev for 3 s" sh -c \
	"'$bdevperf' -m '[$core]' --json '$work/null.json' -q 16 -t 3 --json-output \
		--latency-histogram >'$work/bdevperf.json'"
check "  has a latency histogram and three seconds of progress" python3 - "$work/bdevperf.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
lat = d["jobs"][0]["latency_us"]
assert sum(b[2] for b in lat["buckets"]) == d["jobs"][0]["ios"] > 0, lat
assert all(b[0] <= b[1] for b in lat["buckets"]), lat
assert lat["percentiles"]["50"] <= lat["percentiles"]["99.9"], lat
assert [s["second"] for s in d["progress"]] == [1, 2, 3] and d["progress"][0]["iops"] > 0, d
PY
check "usk_bdevperf's run gives a latency and an IOPS figure, PNG and SVG" \
	"$plot" -o "$work/bp" -f png,svg -l "null bdev" "$work/bdevperf.json"
check "  the PNGs are real" png_ok "$work/bp-latency.png" "$work/bp-iops.png"
check "  the latency SVG names the run and the axes" \
	svg_has "$work/bp-latency.svg" "null bdev" percentile latency 99.9
check "  so does the IOPS SVG" svg_has "$work/bp-iops.svg" "null bdev" IOPS "time (s)"
check "  the latency curve has a point for each of many buckets" svg_curve "$work/bp-latency.svg" 20
check "  the IOPS line one for each second" svg_curve "$work/bp-iops.svg" 3

check "fio --output-format=json+ with a document a second, on a /dev/shm file" sh -c "
	truncate -s 64M '$shm' &&
	fio --name=plot --filename='$shm' --ioengine=psync --rw=randread --bs=4k --runtime=3 \
		--time_based --output-format=json+ --status-interval=1 >'$work/fio+.json' 2>'$work/fio.err' &&
	[ \$(grep -c '\"fio version\"' '$work/fio+.json') -ge 2 ] || { cat '$work/fio.err'; exit 1; }"
check "  gives latency from its bins and IOPS over time" \
	"$plot" -o "$work/fio" -f svg "$work/fio+.json"
check "  each named after the file" svg_has "$work/fio-latency.svg" "fio+"
check "  in both figures" svg_has "$work/fio-iops.svg" "fio+"
check "  the latency curve from fio's bins" svg_curve "$work/fio-latency.svg" 20
check "  IOPS for each of the 3 s" svg_curve "$work/fio-iops.svg" 3
check "fio --output-format=json (percentiles, no bins) gives a latency figure" sh -c "
	fio --name=plot --filename='$shm' --ioengine=psync --rw=randread --bs=4k --runtime=1 \
		--time_based --output-format=json >'$work/fio.json' 2>'$work/fio.err' &&
	'$plot' -o '$work/fio-plain' '$work/fio.json' >/dev/null 2>&1 && [ -f '$work/fio-plain-latency.png' ]"
check "  and says it has no IOPS figure" sh -c "
	'$plot' -o '$work/fio-plain' '$work/fio.json' 2>&1 >/dev/null | grep -q 'no iops figure' &&
	[ ! -e '$work/fio-plain-iops.png' ]"

check "usk_nvme_perf's -LL --json (a VM-lab run) gives a latency figure" \
	"$plot" -o "$work/perf" -f png,svg "$sample"
check "  a real PNG" png_ok "$work/perf-latency.png"
check "  its curve named after the file" svg_has "$work/perf-latency.svg" usk_nvme_perf-randread-qd32
check "  drawn from the buckets" svg_curve "$work/perf-latency.svg" 20
check "  from percentiles alone (-L) too" sh -c "
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for r in d[\"results\"]: del r[\"latency_us\"][\"buckets\"]
json.dump(d, open(sys.argv[2], \"w\"))' '$sample' '$work/perf-L.json' &&
	'$plot' -o '$work/perf-L' '$work/perf-L.json' >/dev/null 2>&1 && [ -f '$work/perf-L-latency.png' ]"

check "all three overlaid, each with its --label, the rest from file names" \
	"$plot" -o "$work/all" -f svg -l USK -l "fio on USK" "$work/bdevperf.json" "$work/fio+.json" "$sample"
check "  every run in the latency figure" \
	svg_has "$work/all-latency.svg" USK "fio on USK" usk_nvme_perf-randread-qd32
check "  the timed ones in the IOPS figure" svg_has "$work/all-iops.svg" USK "fio on USK"
check "  and not usk_nvme_perf's, which has no progress" \
	bash -c "! grep -q usk_nvme_perf-randread '$work/all-iops.svg'"
check "usk_bdevperf without --latency-histogram gives the IOPS figure alone" sh -c "
	'$bdevperf' -m '[$core]' --json '$work/null.json' -q 16 -t 2 --json-output >'$work/bp-plain.json' &&
	'$plot' -o '$work/bp-plain' '$work/bp-plain.json' 2>'$work/bp-plain.err' >/dev/null &&
	[ -f '$work/bp-plain-iops.png' ] && [ ! -e '$work/bp-plain-latency.png' ] &&
	grep -q 'usk_bdevperf --latency-histogram' '$work/bp-plain.err'"
check "--title and --size reach the figure" sh -c "
	'$plot' -o '$work/t' -f svg -t 'Null bdev, qd 16' --size 4x3 '$work/bdevperf.json' >/dev/null &&
	grep -q 'Null bdev, qd 16' '$work/t-latency.svg' && grep -q 'width=\"288pt\"' '$work/t-latency.svg'"

echo 'not json at all' >"$work/text.json"
echo '{"jobs": [{"name": "x"}], "version": 3}' >"$work/other.json"
echo '{"workload": {"pattern": "randread"}, "results": [{"latency_us": {"avg": 1}}], "total": {}}' \
	>"$work/no-percentiles.json"
check "a file that is not JSON exits 2, naming it and the kinds read" \
	fails_with "text.json: not JSON" "$work/text.json"
check "  and says which kinds it reads" \
	fails_with "expected usk_nvme_perf --json, usk_bdevperf --json-output, or fio" "$work/text.json"
check "JSON of another program exits 2" \
	fails_with "other.json: not results of a known tool" "$work/bdevperf.json" "$work/other.json"
check "usk_nvme_perf without -L exits 2, saying so" \
	fails_with "usk_nvme_perf needs -L or -LL" "$work/no-percentiles.json"
check "a missing file exits 2" fails_with "missing.json: cannot read" "$work/missing.json"
check "more labels than files exits 2" fails_with "2 labels for 1 files" -l a -l b "$work/bdevperf.json"
check "an unknown format exits 2" fails_with "formats are png and svg" -f jpg "$work/bdevperf.json"
check "--help exits 0 and tells what is drawn" sh -c "
	'$plot' --help >'$work/help' && grep -q 'PREFIX-latency.FORMAT' '$work/help' &&
	grep -q -- '--label' '$work/help' && grep -q 'status-interval' '$work/help'"

echo "plot.py tests: $failures failed"
[ "$failures" = 0 ]
