dist_pkgdata_SCRIPTS += scripts/pkgdep.sh scripts/rpc.py scripts/plot.py
EXTRA_DIST += scripts/test.sh scripts/demo.sh
