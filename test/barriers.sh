#!/bin/sh
# include/usk_internal/barrier.h gives each architecture USK supports the
# instructions its DMA and doorbell ordering needs, and stops the build of
# any other: compiled with clang for each target, the assembly is checked.
set -u
: "${top_srcdir:?run through make check}"
command -v clang >/dev/null || { echo "barriers: clang not found (scripts/pkgdep.sh)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/usk-barriers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/probe.c" <<'C'
#include "usk_internal/barrier.h"
void probe_wmb(void) { usk_wmb(); }
void probe_rmb(void) { usk_rmb(); }
void probe_mb(void) { usk_mb(); }
C
failed=0

# The assembly of probe_$2 for target $1 must hold the instruction $3 ("" for none).
check() {
	clang --target="$1" -ffreestanding -O2 -S -I"$top_srcdir/include" "$tmp/probe.c" \
		-o "$tmp/$1.s" || { echo "FAIL: $1 does not build"; failed=$((failed + 1)); return; }
	body=$(awk -v f="probe_$2:" '$1 == f { on = 1; next } on && /^[ \t]*(ret|retq)$/ { exit }
		on && /^[ \t]+[a-z]/ { print $1, $2 }' "$tmp/$1.s")
	if [ -n "$3" ] && ! printf '%s\n' "$body" | grep -qx "$3"; then
		echo "FAIL: $1 usk_$2 is not '$3': $body"
		failed=$((failed + 1))
	elif [ -z "$3" ] && [ -n "$body" ]; then
		echo "FAIL: $1 usk_$2 should cost no instruction: $body"
		failed=$((failed + 1))
	fi
}

check x86_64-linux-gnu wmb ""
check x86_64-linux-gnu rmb ""
check x86_64-linux-gnu mb "mfence "
check aarch64-linux-gnu wmb "dsb st"
check aarch64-linux-gnu rmb "dsb ld"
check aarch64-linux-gnu mb "dsb sy"
if clang --target=riscv64-linux-gnu -ffreestanding -S -I"$top_srcdir/include" \
	"$tmp/probe.c" -o "$tmp/riscv.s" 2>"$tmp/riscv.err"; then
	echo "FAIL: an architecture with no barriers built"
	failed=$((failed + 1))
elif ! grep -q "no memory barriers for this CPU architecture" "$tmp/riscv.err"; then
	echo "FAIL: the build of an unknown architecture did not say why: $(cat "$tmp/riscv.err")"
	failed=$((failed + 1))
fi
echo "barriers: $failed failures"
[ "$failed" -eq 0 ]
