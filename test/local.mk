# Shared pieces of the test programs, and tests of the tree as a whole.
# check.sh: the ok/FAIL lines and failure count that shell tests source.
EXTRA_DIST += test/common/check.sh
check_LIBRARIES += test/common/libut.a
test_common_libut_a_SOURCES = test/common/ut.c test/common/ut.h test/common/ut_thread.h \
	test/common/ut_hugepages.h test/common/ut_rpc_conn.h test/common/ut_rpc_call.h \
	test/common/ut_rpc_no_server.h test/common/ut_irq_source.h \
	test/common/ut_free_port.h test/common/ut_poller_refuse.h

# What every unit test program links last; its own layer's library comes first.
UT_LIBS = test/common/libut.a $(CUNIT_LIBS)

if !HAVE_CUNIT
TESTS += test/no_cunit.sh
endif

# Each public header compiles alone, as C and as C++; the barriers header
# gives each supported CPU its instructions and stops the build of others.
TESTS += test/headers.sh test/barriers.sh
# An embedder's program builds with pkg-config against an installed libusk,
# which exports its API only.
TESTS += test/pkgconfig.sh test/libusk-exports.sh
EXTRA_DIST += test/no_cunit.sh test/headers.sh test/barriers.sh test/pkgconfig.sh \
	test/libusk-exports.sh
# setup.sh against a fake sysfs tree: what the VM lab cannot easily make.
TESTS += test/scripts/setup-sysfs-test.sh
EXTRA_DIST += test/scripts/setup-sysfs-test.sh
# plot.py on real results of usk_bdevperf, fio and (from the VM lab, kept) usk_nvme_perf.
TESTS += test/scripts/plot-test.sh
EXTRA_DIST += test/scripts/plot-test.sh test/scripts/plot-data/usk_nvme_perf-randread-qd32.json
