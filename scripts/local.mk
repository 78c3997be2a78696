dist_pkgdata_SCRIPTS += scripts/pkgdep.sh
EXTRA_DIST += scripts/test.sh scripts/demo.sh
