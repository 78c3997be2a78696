#!/bin/sh
# usk_bdevperf on the host: verify passes on malloc (5 s, two cores), a
# bdev that keeps no data fails verify with exit 1 and names the block,
# every job's I/Os submitted and completed are reported and equal, the
# uring and aio bdevs pass the same checks (verify, every workload, idle
# sleep) and a bdev of each whose file shrinks under the run fails its
# reads and the first failure is named (in text and JSON), RPCs are served
# during a run (-r), and bad input exits 2 with a message.
set -u
bdevperf="$top_builddir/app/bdevperf/usk_bdevperf"
work=$(mktemp -d)
# The aio bdev's file is in tmpfs, as a user without a spare disk has it.
shm=$(mktemp -d /dev/shm/usk-bdevperf-test.XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT

# shellcheck source=test/functional/lib.sh
. "$top_srcdir/test/functional/lib.sh"

cores=$(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(f"[{c[0]},{c[-1]}]")')
first_core=${cores%%,*}
first_core="[${first_core#[}]"
truncate -s 64M "$work/uring.img"
cat >"$work/uring.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_uring_create", "params": {"name": "Uring0", "filename": "$work/uring.img"}}]}]}
JSON
cat >"$work/uring-sqpoll.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_uring_set_options", "params": {"sqpoll": true, "sqpoll_idle_ms": 100}},
 {"method": "bdev_uring_create", "params": {"name": "Uring0", "filename": "$work/uring.img"}}]}]}
JSON
truncate -s 64M "$shm/aio.img" "$shm/aio2.img"
cat >"$work/aio.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_aio_create", "params": {"name": "Aio0", "filename": "$shm/aio.img", "fallocate": true}}]}]}
JSON
# Two bdevs on one core share the thread's io context.
cat >"$work/aio2.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_aio_create", "params": {"name": "Aio0", "filename": "$shm/aio.img"}},
 {"method": "bdev_aio_create", "params": {"name": "Aio1", "filename": "$shm/aio2.img", "block_size": 4096}}]}]}
JSON
cat >"$work/bdevs.json" <<'JSON'
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_malloc_create", "params": {"name": "Malloc0", "num_blocks": 16384, "block_size": 4096}},
 {"method": "bdev_malloc_create", "params": {"name": "Malloc1", "num_blocks": 65536, "block_size": 512}},
 {"method": "bdev_null_create", "params": {"name": "Null0", "num_blocks": 65536, "block_size": 512}},
 {"method": "bdev_malloc_create", "params": {"name": "Base", "num_blocks": 32768, "block_size": 512}},
 {"method": "bdev_split_create", "params": {"base_bdev": "Base", "split_count": 2}}]}]}
JSON

run() { # expected exit status, output file, then bdevperf's arguments
	want=$1 out=$2
	shift 2
	"$bdevperf" -m "$cores" --json "$work/bdevs.json" "$@" >"$out" 2>&1
	got=$?
	[ "$got" = "$want" ] || { echo "  exit $got, wanted $want:"; sed 's/^/  | /' "$out"; return 1; }
}

check "verify passes for 5 s on malloc, every core on every bdev" \
	run 0 "$work/verify.out" -T Malloc0 -w verify -q 16 -o 16k -t 5 -C
check "  with a line of progress each second and a total" \
	sh -c "[ \$(grep -c '^\[ *[0-9]* s\]' '$work/verify.out') -ge 4 ] && grep -q '^Total' '$work/verify.out'"
# The row: bdev core IOPS MiB/s avg min max submitted completed failed (Total has no core).
# shellcheck disable=SC2016 # awk's own $ fields
check "  each job and the total show as many I/Os completed as submitted" \
	awk '/^bdev .* submitted +completed +failed$/ { head = 1 }
		$1 == "Malloc0" && NF == 10 { rows++; if ($8 != $9 || $8 == 0 || $10 != 0) bad = 1 }
		$1 == "Total" && NF == 9 { total = 1; if ($7 != $8 || $7 == 0) bad = 1 }
		END { exit !(head && rows == 2 && total && !bad) }' "$work/verify.out"
check "verify passes on both parts of a split bdev at once" \
	run 0 "$work/split.out" -T Basep0 -w verify -q 8 -t 2
check "  and on the other part, from two cores" \
	run 0 "$work/split1.out" -T Basep1 -w verify -q 8 -t 2 -C
# The uring and aio bdevs pass the same checks. Idle sleep: the reactor
# sleeps while the kernel reads, and wakes at the completion (the ring's
# or the io context's eventfd). The bug this was written for: a reactor
# slept again without polling its threads, so each read waited for the
# next timed poller (3.5 IOPS).
for module in uring aio; do
	check "$module: verify passes for 5 s on a file" sh -c "
		\"$bdevperf\" -m '$cores' --json '$work/$module.json' -w verify -q 8 -t 5 \
			>'$work/$module.out' 2>&1 || { cat '$work/$module.out'; exit 1; }"
	check "$module: every workload runs on a file" sh -c "
		for w in randread randwrite unmap write_zeroes flush reset; do
			\"$bdevperf\" -m '$cores' --json '$work/$module.json' -w \$w -q 8 -t 1 \
				>'$work/w.out' 2>&1 || { echo \"  -w \$w failed\"; cat '$work/w.out'; exit 1; }
		done"
	check "$module: with idle sleep the bdev keeps its pace" sh -c "
		\"$bdevperf\" -m '$cores' --json '$work/$module.json' --idle-sleep --idle-threshold-us 1 \
			-w randread -q 1 -t 2 --json-output >'$work/idle.out' 2>'$work/idle.err' ||
			{ cat '$work/idle.err'; exit 1; }
		python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(d[\"total\"][\"iops\"] < 1000)' \
			'$work/idle.out' || { cat '$work/idle.out'; exit 1; }"
done
# SQPOLL: the kernel's polling thread (iou-sqp-PID) runs beside the process while it does.
check "verify passes with SQPOLL, and the kernel's polling thread runs" sh -c "
	\"$bdevperf\" -m '$cores' --json '$work/uring-sqpoll.json' -w verify -q 8 -t 3 \
		>'$work/sqpoll.out' 2>&1 &
	pid=\$!
	sleep 1.5
	grep -q iou-sqp /proc/\$pid/task/*/comm 2>/dev/null || { echo '  no iou-sqp thread'; seen=no; }
	wait \$pid || { cat '$work/sqpoll.out'; exit 1; }
	[ \"\${seen:-yes}\" = yes ]"
# 2 x 300 I/Os on one thread are more than its io context takes (512): the
# rest wait on the channel for slots, and verify still passes.
check "verify passes on two aio bdevs sharing one core with more I/O than a context holds" sh -c "
	\"$bdevperf\" -m '$first_core' --json '$work/aio2.json' -w verify -q 300 -t 3 \
		>'$work/aio2.out' 2>&1 || { cat '$work/aio2.out'; exit 1; }"
# The poller reads completions from the io context's ring in user space:
# a whole run makes io_submit calls, one per poll, and no io_getevents.
aio_syscalls() {
	if ! strace -f -o /dev/null true 2>/dev/null; then
		echo "  (strace cannot trace here: the count is left to bdev_aio_ut)"
		return 0
	fi
	strace -f -c -o "$work/strace.out" -e trace=io_submit,io_getevents \
		"$bdevperf" -m "$first_core" --json "$work/aio.json" -w randread -q 32 -t 1 \
		>"$work/strace-run.out" 2>&1 || { cat "$work/strace-run.out"; return 1; }
	if ! grep -q ' io_submit$' "$work/strace.out" || grep -q io_getevents "$work/strace.out"; then
		sed 's/^/  | /' "$work/strace.out"
		return 1
	fi
}
check "an aio run reaps every completion without io_getevents" aio_syscalls
check "verify on a bdev that keeps no data fails, naming the block" \
	run 1 "$work/null.out" -T Null0 -w verify -q 4 -t 1
check "  the mismatch is described" grep -q "verify: bdev Null0, block" "$work/null.out"
check "every workload runs on malloc" sh -c "
	for w in read write randread randwrite rw randrw reset unmap write_zeroes flush; do
		\"$bdevperf\" -m '$cores' --json '$work/bdevs.json' -T Malloc1 -w \$w -q 8 -o 4k -t 1 \
			>'$work/w.out' 2>&1 || { echo \"  -w \$w failed\"; cat '$work/w.out'; exit 1; }
	done"
check "--json-output is one JSON document with the totals" sh -c "
	\"$bdevperf\" -m '$cores' --json '$work/bdevs.json' -w randread -q 32 -t 1 --json-output |
	python3 -c 'import json, sys; d = json.load(sys.stdin); assert len(d[\"jobs\"]) == 5, d; assert d[\"total\"][\"iops\"] > 0 and d[\"total\"][\"failed\"] == 0, d'"
# Verify submits a write and its read-back for each I/O it counts: exactly two.
check "--json-output has each job's I/Os submitted and completed, equal" sh -c "
	\"$bdevperf\" -m '$cores' --json '$work/bdevs.json' -T Malloc1 -C -w verify -q 8 -t 1 \
		--json-output >'$work/counts.json'"
check "  two for each verified I/O, and no failure" python3 - "$work/counts.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["jobs"]) == 2, d
for j in d["jobs"]:
    assert j["submitted"] == j["completed"] == 2 * j["ios"] > 0, j
    assert j["failed"] == 0 and j["first_error"] is None and j["error_statuses"] == [], j
t = d["total"]
assert t["submitted"] == t["completed"] == sum(j["submitted"] for j in d["jobs"]), t
PY

# A uring or aio bdev of 16 MiB whose file is cut to 8 MiB once the run is
# going: every read from block 16384 on comes back short, which the module
# fails with no NVMe status. One core, so a client has the other.
shrink_config() { # the module: uring or aio
	module=$1
	cat >"$work/shrink.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_${module}_create", "params": {"name": "Shrink0", "filename": "$work/shrink.img"}}]}]}
JSON
}
shrink_start() { # stdout file (stderr goes to FILE.err), then bdevperf's arguments
	out=$1
	# The last module's output goes first: its progress lines would have the
	# file cut before this run opens it, and then no read fails.
	rm -f "$work/shrink.img" "$work/bp.sock" "$out" "$out.err"
	truncate -s 16M "$work/shrink.img"
	shift
	"$bdevperf" -m "$first_core" --json "$work/shrink.json" -w randread -q 8 "$@" \
		>"$out" 2>"$out.err" &
	pid=$!
}
shrink_finish() { # cuts the file, then wants exit 1
	truncate -s 8M "$work/shrink.img"
	wait "$pid"
	got=$?
	[ "$got" = 1 ] || { echo "  exit $got, wanted 1:"; sed 's/^/  | /' "$out" "$out.err"; return 1; }
}
shrink_text() {
	shrink_start "$work/shrink.out" -t 3
	wait_until grep -q '^\[ *1 s\]' "$work/shrink.out"
	shrink_finish
}
first_failure_past_cut() { # the line of the first failure in $1, its block past the cut
	block=$(sed -En "s/^usk_bdevperf: Shrink0 \(core [0-9]+\): [0-9]+ I\/O failed; first: read of block ([0-9]+): generic failure of bdev module $module \(no NVMe status; reported as sct 0x0 sc 0x6, Internal Error\)\$/\1/p" "$1")
	if [ -z "$block" ] || [ "$block" -lt 16384 ]; then
		echo "  block '$block':"
		sed 's/^/  | /' "$1"
		return 1
	fi
}
# -r: the socket appears once the bdevs exist, before the jobs start; a call
# made while the jobs run is answered. The call comes from the C client: on a
# loaded machine Python took longer to start than the run lasts, and found
# the socket gone with the process.
shrink_rpc() {
	shrink_start "$work/shrink-json.out" -t 6 --json-output -r "$work/bp.sock"
	wait_until [ -S "$work/bp.sock" ] &&
		"$top_builddir/test/functional/tgt/rpc_call" "$work/bp.sock" bdev_get_bdevs \
			>"$work/rpc.out"
	rpc=$?
	shrink_finish || return 1
	[ $rpc = 0 ] && grep -q '"Shrink0"' "$work/rpc.out"
}
for module in uring aio; do
	shrink_config $module
	check "$module: a bdev whose reads fail exits 1" shrink_text
	check "  naming the first failure: its block, past the cut, and why" \
		first_failure_past_cut "$work/shrink.out"
	# shellcheck disable=SC2016 # awk's own $ fields
	check "  then the failures by status, all of them, and every I/O completed" awk '
		$1 == "Shrink0" && NF == 10 { failed = $10; if ($8 != $9) bad = 1 }
		/^ +[0-9]+ x Internal Error \(sct 0x0, sc 0x06\)$/ { kinds = $1 }
		END { exit !(failed > 0 && kinds == failed && !bad) }' "$work/shrink.out"
	check "  with -r SOCKET, RPCs are answered during the run" shrink_rpc
	check "  and --json-output has the first failure and the count by status" python3 - \
		"$work/shrink-json.out" "$module" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
j = d["jobs"][0]
f = j["first_error"]
assert j["submitted"] == j["completed"] > 0 and j["failed"] > 0, j
assert f["op"] == "read" and f["block"] >= 16384, f
assert (f["sct"], f["sc"], f["status"], f["generic"], f["errno"]) == (0, 6, "Internal Error", True, 0), f
assert f["description"].startswith("read of block %d: generic failure of bdev module %s" % (f["block"], sys.argv[2])), f
assert j["error_statuses"] == [{"sct": 0, "sc": 6, "status": "Internal Error", "count": j["failed"]}], j
PY
done

# A name may be 255 bytes. One longer than 63 was cut to 63 and the job
# opened the bdev of that shorter name, here a null bdev that fails verify.
short=$(printf '%063d' 0 | tr 0 L)
cat >"$work/long.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_null_create", "params": {"name": "$short", "num_blocks": 8192, "block_size": 512}},
 {"method": "bdev_malloc_create", "params": {"name": "$short-and-then-some", "num_blocks": 8192, "block_size": 512}}]}]}
JSON
check "a bdev with a name of 82 bytes is the one driven" sh -c "
	\"$bdevperf\" -m '$first_core' --json '$work/long.json' -T '$short-and-then-some' -w verify \
		-q 8 -t 1 >'$work/long.out' 2>&1 || { cat '$work/long.out'; exit 1; }
	grep -q '^$short-and-then-some ' '$work/long.out' || { cat '$work/long.out'; exit 1; }"
# 4 GiB of buffers in a 2 GB address space: the job cannot have them.
check "a job whose buffers do not fit exits 2, saying why" sh -c "
	ulimit -v 2000000
	\"$bdevperf\" -m '$first_core' --json '$work/bdevs.json' -T Null0 -q 4096 -o 1m -t 1 \
		>'$work/nomem.out' 2>&1
	rc=\$?
	[ \$rc = 2 ] && grep -q 'Null0: no memory for -q 4096 buffers of -o 1048576' '$work/nomem.out' ||
		{ echo \"  exit \$rc\"; cat '$work/nomem.out'; exit 1; }"
# 4 TiB of buffers is more than the machine has: refused before any is
# touched (without ulimit the kernel's OOM killer ended such a run).
cat >"$work/bignull.json" <<'JSON'
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_null_create", "params": {"name": "Null0", "num_blocks": 2147483648, "block_size": 512}}]}]}
JSON
check "a run whose buffers exceed the machine's memory is refused" sh -c "
	ulimit -v 4000000
	\"$bdevperf\" -m '$first_core' --json '$work/bignull.json' -q 65536 -o 64m -t 1 \
		>'$work/toobig.out' 2>&1
	rc=\$?
	[ \$rc = 2 ] && grep -q 'need 4194304 MiB of buffers; this machine has ' '$work/toobig.out' ||
		{ echo \"  exit \$rc\"; cat '$work/toobig.out'; exit 1; }"
# The table has no room for the histogram: only --json-output shows it.
check "--latency-histogram without --json-output exits 2" \
	run 2 "$work/hist.out" -T Null0 -t 1 --latency-histogram
check "  saying what it needs" grep -q 'latency-histogram needs --json-output' "$work/hist.out"
check "an unknown bdev exits 2" run 2 "$work/e1" -T Nope -t 1
check "  naming it" grep -q 'Nope: no bdev has that name' "$work/e1"
check "an unreadable config exits 2" \
	sh -c "\"$bdevperf\" --json '$work/missing.json' -t 1 >'$work/e2' 2>&1; [ \$? = 2 ] && grep -q 'missing.json' '$work/e2'"
check "a bad workload exits 2" \
	sh -c "\"$bdevperf\" -w sideways >'$work/e3' 2>&1; [ \$? = 2 ] && grep -q 'unknown workload' '$work/e3'"
check "an I/O size that is not a multiple of the block size exits 2" \
	run 2 "$work/e4" -T Malloc0 -o 1k -t 1
check "  saying why" grep -q 'not a multiple' "$work/e4"
check "--help exits 0" sh -c "\"$bdevperf\" --help >'$work/help' && grep -q 'Exit status' '$work/help'"
check "  and tells of the counts, the failure lines and -r" sh -c "
	grep -q 'submitted, completed, first_error and error_statuses' '$work/help' &&
	grep -q 'counts differ' '$work/help' && grep -q -- '-r, --rpc-socket PATH' '$work/help'"

echo "bdevperf tests: $failures failed"
[ "$failures" = 0 ]
