#!/bin/sh
# Stands in for the unit tests when configure did not find CUnit, so that
# 'make check' fails loudly instead of passing with nothing run.
echo "CUnit was not found at configure time, so no unit test was built." >&2
echo "Install it with scripts/pkgdep.sh (Debian package libcunit1-dev) and re-run configure." >&2
exit 99
