# shellcheck shell=sh
# Sourced by shell tests: check NAME COMMAND [ARG...] runs the command,
# prints "ok: NAME" or "FAIL: NAME", and counts the failures in $failures,
# so one test goes on after a failed check and says how many failed.
failures=0

check() {
	name=$1
	shift
	if "$@"; then echo "ok: $name"; else echo "FAIL: $name"; failures=$((failures + 1)); fi
}
