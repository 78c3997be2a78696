#!/usr/bin/env bash
# Called by `make dist` (dist-hook): every file git tracks must be in the
# tarball, or the tarball's own build and tests break on a file nobody listed
# in a Makefile (a header only #included, a doc image). Files that are only
# for the developer's checkout are named here. Outside a git checkout (the
# tarball's own build) there is nothing to compare with.
# Usage: dist-complete.sh SRCDIR DISTDIR
set -euo pipefail
srcdir=$1 distdir=$2
git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1 || exit 0
not_shipped='^(\.gitignore|\.clang-format)$'
missing=0
while IFS= read -r file; do
	[[ $file =~ $not_shipped ]] && continue
	if [[ ! -e $distdir/$file ]]; then
		echo "dist: $file is tracked by git but not in the tarball; list it in a Makefile.am or local.mk" >&2
		missing=1
	fi
done < <(git -C "$srcdir" ls-files)
exit "$missing"
