#!/usr/bin/env bash
# Runs every libFuzzer target of a build configured with --enable-fuzz for
# a bounded time, each from a copy of its seed corpus (test/fuzz/corpus),
# and prints "fuzz: TARGET N execs, N crashes" per target and the closing
# "tests: N passed, N failed, 0 skipped" line scripts/test.sh prints. A
# target passes when it ran its time without a crash, leak or hang; the
# input that broke it is kept under BUILDDIR/fuzz-crashes/TARGET/.
set -uo pipefail

usage() {
	echo "Usage: test/fuzz/run.sh BUILDDIR SECONDS [TARGET...]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
builddir=$(realpath "$1")
seconds=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || usage

if [ $# -gt 0 ]; then
	targets=("$@")
else
	read -r -a targets < <(make -s -C "$builddir" print-fuzz-targets)
fi

# The longest input worth trying, by what the target reads.
max_len() {
	case "$1" in
	fuzz_json_rpc | fuzz_json_config | fuzz_rpc_conn) echo 4096 ;;
	fuzz_nvme_cqe) echo 2048 ;;
	fuzz_nvme_tcp_pdu | fuzz_nvmf_tcp_conn) echo 4096 ;;
	fuzz_nvme_discovery) echo 16384 ;;
	*) echo 512 ;;
	esac
}

# Seconds one input may take before it counts as a hang. fuzz_nvmf_tcp_conn's
# inputs are TCP connections with many round trips: on a loaded 2-core machine
# one took 10 s without hanging.
input_timeout() {
	case "$1" in
	fuzz_nvmf_tcp_conn) echo 60 ;;
	*) echo 10 ;;
	esac
}

passed=0
failed=0
for target in "${targets[@]}"; do
	name=$(basename "$target")
	bin=$builddir/test/fuzz/$name
	crashes=$builddir/fuzz-crashes/$name
	log=$builddir/fuzz-$name.log
	work=$(mktemp -d)
	mkdir -p "$crashes"
	cp "$top/test/fuzz/corpus/$name/"* "$work/" 2>/dev/null || true
	start=$(date +%s)
	# -timeout: an input that takes that long is a hang. stdout (--help texts) is dropped;
	# libFuzzer and the sanitizers report on stderr. timeout(1) guards a stuck exit.
	timeout -k 10 $((seconds + 120)) "$bin" -max_total_time="$seconds" \
		-max_len="$(max_len "$name")" -timeout="$(input_timeout "$name")" -close_fd_mask=1 \
		-print_final_stats=1 -artifact_prefix="$crashes/" "$work" >"$log" 2>&1
	rc=$?
	elapsed=$(($(date +%s) - start))
	rm -rf "$work"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=$(grep -Eo '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
	# This run's artifacts (crash-, leak-, timeout-, oom-): older ones stay for reference.
	inputs=$(find "$crashes" -type f -newermt "@$((start - 1))" 2>/dev/null)
	if [ "$rc" -eq 0 ] && [ -z "$inputs" ]; then
		echo "fuzz: $name ${execs:-0} execs, 0 crashes (${elapsed} s)"
		passed=$((passed + 1))
	else
		n=$(printf '%s\n' "$inputs" | grep -c . || true)
		echo "fuzz: $name ${execs:-0} execs, $((n > 0 ? n : 1)) crashes (${elapsed} s, exit $rc)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: invariant)|^ *#[0-9]+ 0x' "$log" | head -n 20
		for f in $inputs; do
			echo "  input kept: $f"
			echo "  reproduce:  $bin $f"
		done
		echo "  log: $log"
		failed=$((failed + 1))
	fi
done
echo "tests: $passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
