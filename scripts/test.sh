#!/usr/bin/env bash
# Installs what USK needs, builds it and runs its tests: the one command a
# newcomer runs on a fresh machine.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=$top/build
deps=yes
scope=all
configure_args=()
fuzz_seconds=
load=no
repeat=1

usage() {
	cat <<USAGE
Usage: scripts/test.sh [options] [-- configure options]

Installs the dependencies (scripts/pkgdep.sh), builds USK out of tree and
runs 'make check': unit tests, header and pkg-config tests, VM lab tests.
Ends with a line "tests: N passed, N failed, N skipped".

Options:
  --builddir DIR   build in DIR (default: build/ in the source tree)
  --asan           build with AddressSanitizer and UBSan (default builddir build-asan/)
  --unit           run only the unit test programs
  --fuzz SECONDS   build the libFuzzer targets of test/fuzz with clang (default
                   builddir build-fuzz/) and run each for SECONDS from its seed
                   corpus; a crash's input is kept in BUILDDIR/fuzz-crashes/
  --tsan           build with ThreadSanitizer (default builddir build-tsan/) and
                   run the unit tests of lib/thread, lib/event, lib/bdev and
                   module/bdev; a race report fails the test
  --load           run 'stress-ng --cpu N' (N: the CPUs) beside the build and
                   the tests, as on a busy build box; stopped at the end
  --repeat N       run the tests N times in a row (built once), stopping at the
                   first run that fails; each run ends with its "tests:" line
  --no-deps        do not run scripts/pkgdep.sh
  -h, --help       this text
USAGE
}

while [ $# -gt 0 ]; do
	case "$1" in
	--builddir) builddir=$(realpath -m "$2"); shift ;;
	--asan)
		configure_args+=(--enable-asan --enable-ubsan --enable-debug)
		# A callback left pointing into a returned frame is a bug ASan finds only so.
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1}
		[ "$builddir" != "$top/build" ] || builddir=$top/build-asan ;;
	--unit) scope=unit ;;
	--fuzz)
		[[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "test.sh: --fuzz needs a number of seconds" >&2; exit 2; }
		fuzz_seconds=$2; shift
		scope=fuzz
		configure_args+=(CC=clang --enable-fuzz --enable-debug)
		[ "$builddir" != "$top/build" ] || builddir=$top/build-fuzz ;;
	--tsan)
		scope=tsan
		# clang's TSan models the fences of lib/nvme's rings; GCC's does not.
		configure_args+=(CC=clang --enable-tsan --enable-debug)
		# A race stops the program at once with a status automake counts as a failure.
		export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 exitcode=66 second_deadlock_stack=1}
		[ "$builddir" != "$top/build" ] || builddir=$top/build-tsan ;;
	--load) load=yes ;;
	--repeat)
		[[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "test.sh: --repeat needs a number of runs" >&2; exit 2; }
		repeat=$2; shift ;;
	--no-deps) deps=no ;;
	-h | --help) usage; exit 0 ;;
	--) shift; configure_args+=("$@"); break ;;
	*) echo "test.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

jobs=$(nproc 2>/dev/null || echo 2)

if [ "$deps" = yes ]; then
	"$top/scripts/pkgdep.sh"
fi

if [ "$load" = yes ]; then
	command -v stress-ng >/dev/null || { echo "test.sh: --load needs stress-ng (scripts/pkgdep.sh)" >&2; exit 2; }
	stress-ng --cpu "$jobs" --quiet &
	stress_pid=$!
	trap 'kill "$stress_pid" 2>/dev/null || true' EXIT
	echo "== load: stress-ng --cpu $jobs (pid $stress_pid)"
fi

echo "== autogen"
(cd "$top" && ./autogen.sh >/dev/null)
echo "== configure in $builddir ${configure_args[*]:-}"
mkdir -p "$builddir"
cd "$builddir"
"$top/configure" "${configure_args[@]}" >configure.out || { cat configure.out; exit 1; }
sed -n '/USK [0-9]/,$p' configure.out
if [ "$scope" = fuzz ]; then
	echo "== build fuzz targets"
	make -j"$jobs" fuzz-targets >/dev/null
	"$top/test/fuzz/run.sh" "$builddir" "$fuzz_seconds"
	exit $?
fi

echo "== build"
make -j"$jobs" >/dev/null

echo "== test"
check_args=()
if [ "$scope" = unit ]; then
	check_args+=('TESTS=$(UNIT_TESTS)')
elif [ "$scope" = tsan ]; then
	# The layers with threads of their own: lib/thread, lib/event, lib/bdev, module/bdev.
	# Not the nvme module's tests: the NVMe model's thread reads the driver's
	# registers, rings and buffers as plain shared memory, and TSan reports
	# every such access of the emulated device (test/fuzz/FINDINGS.md).
	check_args+=('TESTS=$(THREAD_UNIT_TESTS) $(EVENT_UNIT_TESTS) $(BDEV_UNIT_TESTS) $(filter-out test/unit/module/bdev/bdev_nvme%,$(BDEV_MODULE_UNIT_TESTS))')
fi
# One run of the tests: make check, CUnit's summaries, the counts. Returns make's status.
run_tests() {
	local status=0 trs log passed failed skipped
	make -j"$jobs" check "${check_args[@]}" || status=$?
	# automake keeps each test's output in its .log; show CUnit's summaries.
	for trs in $(find . -name '*.trs' | sort); do
		log=${trs%.trs}.log
		if grep -q 'Run Summary' "$log" 2>/dev/null; then
			echo "-- ${log#./}"
			sed -n '/Run Summary/,/Elapsed time/p' "$log"
		fi
	done
	passed=$(cat /dev/null $(find . -name '*.trs') | grep -c '^:test-result: PASS' || true)
	failed=$(cat /dev/null $(find . -name '*.trs') | grep -Ec '^:test-result: (FAIL|ERROR|XPASS)' || true)
	skipped=$(cat /dev/null $(find . -name '*.trs') | grep -c '^:test-result: SKIP' || true)
	if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1
	fi
	echo "tests: $passed passed, $failed failed, $skipped skipped"
	return "$status"
}

status=0
for run in $(seq 1 "$repeat"); do
	[ "$repeat" -eq 1 ] || echo "== run $run of $repeat"
	run_tests || { status=$?; break; }
done
[ "$repeat" -eq 1 ] || echo "runs: $((run - (status != 0))) of $repeat passed in a row"
exit "$status"
