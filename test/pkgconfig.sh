#!/bin/sh
# Installs libusk into a scratch root and builds a small embedder program
# with nothing but pkg-config's flags, as a user would.
set -u
: "${top_builddir:?run through make check}" "${top_srcdir:?}" "${CC:=cc}" "${MAKE:=make}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/usk-pkgconfig.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

$MAKE -C "$top_builddir" install DESTDIR="$root" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "make install DESTDIR=$root"; }
libdir=$(PKG_CONFIG_PATH=$top_builddir pkg-config --variable=libdir usk) ||
	fail "pkg-config cannot read the built usk.pc"
[ -f "$root$libdir/pkgconfig/usk.pc" ] || fail "usk.pc is not installed in $libdir/pkgconfig"

export PKG_CONFIG_PATH="$root$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
flags=$(pkg-config --cflags --libs usk) || fail "pkg-config --cflags --libs usk"
echo "pkg-config --cflags --libs usk: $flags"

cat >"$tmp/embedder.c" <<'PROGRAM'
#include <stdio.h>
#include <usk/log.h>

int main(void)
{
	if (usk_log_set_level(USK_LOG_INFO) != 0) {
		return 1;
	}
	USK_INFOLOG("hello from an embedder at level %s", usk_log_level_name(usk_log_get_level()));
	return 0;
}
PROGRAM
# shellcheck disable=SC2086 # pkg-config's flags are meant to be split
$CC ${SAN_FLAGS:-} "$tmp/embedder.c" -o "$tmp/embedder" $flags || fail "embedder does not build"
LD_LIBRARY_PATH="$root$libdir" "$tmp/embedder" 2>"$tmp/stderr" || fail "embedder exited with $?"
grep -q 'info: embedder.c:[0-9]*: hello from an embedder at level info' "$tmp/stderr" ||
	{ cat "$tmp/stderr" >&2; fail "the embedder's log line is missing"; }

# The example embedders start from builds the way its comment says.
# shellcheck disable=SC2086
$CC ${SAN_FLAGS:-} "$top_srcdir/examples/nvme/hello_world.c" -o "$tmp/hello_world" $flags ||
	fail "examples/nvme/hello_world.c does not build with pkg-config's flags"

soname=$(readelf -d "$root$libdir/libusk.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libusk.so.2" ] || fail "libusk.so's soname is '$soname', not libusk.so.2"
[ -f "$root$libdir/libusk.a" ] || fail "the static libusk.a is not installed"
leaked=$(nm -D --defined-only "$root$libdir/libusk.so" | awk '$3 !~ /^usk_/ {print $3}')
[ -z "$leaked" ] || fail "libusk.so exports symbols outside usk_*: $leaked"
echo "pkgconfig: embedder built and ran, soname $soname, exports only usk_*"
