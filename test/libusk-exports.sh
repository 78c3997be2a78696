#!/bin/sh
# libusk.so exports its API and nothing else, and its own calls to that API
# do not go through the PLT (-fvisibility=hidden, -Bsymbolic-functions).
set -u
: "${top_builddir:?run through make check}"
lib=$top_builddir/lib/.libs/libusk.so

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ -f "$lib" ] || { echo "SKIP: no shared libusk (--disable-shared)"; exit 77; }
exports=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }')
count=$(printf '%s\n' "$exports" | grep -c '^usk_')
[ "$count" -gt 100 ] || fail "only $count usk_ symbols exported"
others=$(printf '%s\n' "$exports" | grep -v '^usk_')
[ -z "$others" ] || fail "exported beyond the API: $(echo $others | head -c 300)"
plt_calls=$(objdump -d --no-show-raw-insn "$lib" | grep -cE 'call.*<usk_[a-z0-9_]+@plt>')
[ "$plt_calls" -eq 0 ] || fail "$plt_calls calls to usk_ functions go through the PLT"
echo "PASS: $count usk_ symbols exported, nothing else; no usk_ call through the PLT"
