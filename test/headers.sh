#!/bin/sh
# Every public header must compile on its own, as C and as C++, so an
# embedder can include any one of them first.
set -u
: "${top_srcdir:?run through make check}" "${CC:=cc}" "${CXX:=c++}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/usk-headers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0
checked=0
for header in "$top_srcdir"/include/usk/*.h; do
	name=usk/$(basename "$header")
	printf '#include <%s>\n' "$name" >"$tmp/h.c"
	cp "$tmp/h.c" "$tmp/h.cpp"
	if ! $CC -std=c11 -Wall -Wextra -Werror -pedantic -I"$top_srcdir/include" \
		-c "$tmp/h.c" -o "$tmp/h.o"; then
		echo "FAIL: $name does not compile alone as C" >&2
		failed=$((failed + 1))
	fi
	if ! $CXX -std=c++11 -Wall -Wextra -Werror -I"$top_srcdir/include" \
		-c "$tmp/h.cpp" -o "$tmp/h.o"; then
		echo "FAIL: $name does not compile alone as C++" >&2
		failed=$((failed + 1))
	fi
	checked=$((checked + 1))
done
echo "headers: $checked checked, $failed failures"
[ "$checked" -gt 0 ] && [ "$failed" -eq 0 ]
