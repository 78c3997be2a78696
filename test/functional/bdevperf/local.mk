# usk_bdevperf on the host, against malloc and null bdevs.
TESTS += test/functional/bdevperf/bdevperf-test.sh
EXTRA_DIST += test/functional/bdevperf/bdevperf-test.sh
