# lib/nvmf's unit tests: the model and RPC methods (nvmf_rpc_ut), with the
# bdev layer and its built-in modules, on one thread polled by hand; the
# discovery log page on the model alone (nvmf_discovery_ut).
NVMF_UNIT_TESTS = test/unit/lib/nvmf/nvmf_rpc_ut test/unit/lib/nvmf/nvmf_discovery_ut
check_PROGRAMS += $(NVMF_UNIT_TESTS)
UNIT_TESTS += $(NVMF_UNIT_TESTS)
NVMF_UT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvmf -I$(top_srcdir)/lib/bdev \
	-I$(top_srcdir)/module/bdev -I$(top_srcdir)/test/unit/module/bdev
NVMF_UT_LIBS = lib/nvmf/libusk_nvmf.la module/bdev/libusk_bdev_modules.la \
	lib/bdev/libusk_bdev.la lib/nvme/libusk_nvme.la lib/thread/libusk_thread.la \
	lib/env/libusk_env.la lib/json/libusk_json.la lib/log/libusk_log.la \
	lib/util/libusk_util.la $(JANSSON_LIBS) $(URING_LIBS) $(AIO_LIBS) $(NUMA_LIBS) $(UT_LIBS)
# It includes lib/rpc/rpc_request.c to answer on a fake connection.
test_unit_lib_nvmf_nvmf_rpc_ut_CPPFLAGS = $(NVMF_UT_CPPFLAGS)
test_unit_lib_nvmf_nvmf_rpc_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_nvmf_nvmf_rpc_ut_LDADD = $(NVMF_UT_LIBS)
EXTRA_test_unit_lib_nvmf_nvmf_rpc_ut_DEPENDENCIES = lib/rpc/rpc_request.c
# nvmf_discovery_ut calls lib/nvmf's internals: libusk's static archive holds them.
test_unit_lib_nvmf_nvmf_discovery_ut_CPPFLAGS = $(NVMF_UT_CPPFLAGS)
test_unit_lib_nvmf_nvmf_discovery_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_lib_nvmf_nvmf_discovery_ut_LDFLAGS = $(AM_LDFLAGS) -static
# One test program per source of the model and the commands, called directly on
# one thread polled by hand, over malloc bdevs; linked as nvmf_discovery_ut.
NVMF_FOCUS_UNIT_TESTS = test/unit/lib/nvmf/nvmf_subsystem_ut test/unit/lib/nvmf/nvmf_admin_ut \
	test/unit/lib/nvmf/nvmf_features_ut test/unit/lib/nvmf/nvmf_io_ut
check_PROGRAMS += $(NVMF_FOCUS_UNIT_TESTS)
UNIT_TESTS += $(NVMF_FOCUS_UNIT_TESTS)
test_unit_lib_nvmf_nvmf_subsystem_ut_CPPFLAGS = $(NVMF_UT_CPPFLAGS)
test_unit_lib_nvmf_nvmf_subsystem_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_lib_nvmf_nvmf_subsystem_ut_LDFLAGS = $(AM_LDFLAGS) -static
# The admin command tests share ut_nvmf_admin.c's controller.
test_unit_lib_nvmf_nvmf_admin_ut_SOURCES = test/unit/lib/nvmf/nvmf_admin_ut.c \
	test/unit/lib/nvmf/ut_nvmf_admin.c test/unit/lib/nvmf/ut_nvmf_admin.h
test_unit_lib_nvmf_nvmf_admin_ut_CPPFLAGS = $(NVMF_UT_CPPFLAGS)
test_unit_lib_nvmf_nvmf_admin_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_lib_nvmf_nvmf_admin_ut_LDFLAGS = $(AM_LDFLAGS) -static
test_unit_lib_nvmf_nvmf_features_ut_SOURCES = test/unit/lib/nvmf/nvmf_features_ut.c \
	test/unit/lib/nvmf/ut_nvmf_admin.c test/unit/lib/nvmf/ut_nvmf_admin.h
test_unit_lib_nvmf_nvmf_features_ut_CPPFLAGS = $(NVMF_UT_CPPFLAGS)
test_unit_lib_nvmf_nvmf_features_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_lib_nvmf_nvmf_features_ut_LDFLAGS = $(AM_LDFLAGS) -static
test_unit_lib_nvmf_nvmf_io_ut_CPPFLAGS = $(NVMF_UT_CPPFLAGS)
test_unit_lib_nvmf_nvmf_io_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_lib_nvmf_nvmf_io_ut_LDFLAGS = $(AM_LDFLAGS) -static
# nvmf_tcp_ut: the TCP transport over loopback sockets, the test as the host.
NVMF_TCP_UT = test/unit/lib/nvmf/nvmf_tcp_ut
check_PROGRAMS += $(NVMF_TCP_UT)
UNIT_TESTS += $(NVMF_TCP_UT)
test_unit_lib_nvmf_nvmf_tcp_ut_CPPFLAGS = $(NVMF_UT_CPPFLAGS)
test_unit_lib_nvmf_nvmf_tcp_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_nvmf_nvmf_tcp_ut_LDADD = $(NVMF_UT_LIBS)
EXTRA_test_unit_lib_nvmf_nvmf_tcp_ut_DEPENDENCIES = lib/rpc/rpc_request.c
EXTRA_DIST += test/unit/lib/nvmf/ut_nvmf_app.h test/unit/lib/nvmf/ut_nvmf_spec.h
