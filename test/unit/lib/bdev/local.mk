# lib/bdev's unit tests, one program per source file, against a test module
# (ut_bdev_module.c) that holds I/O until told.
BDEV_UNIT_TESTS = test/unit/lib/bdev/bdev_ut test/unit/lib/bdev/bdev_io_ut \
	test/unit/lib/bdev/bdev_channel_ut test/unit/lib/bdev/bdev_qos_ut \
	test/unit/lib/bdev/bdev_rpc_ut test/unit/lib/bdev/bdev_rpc_stat_ut \
	test/unit/lib/bdev/bdev_rpc_histogram_ut
check_PROGRAMS += $(BDEV_UNIT_TESTS)
UNIT_TESTS += $(BDEV_UNIT_TESTS)
BDEV_UT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/bdev
# What lib/bdev needs below lib/rpc, so bdev_rpc_ut can link without lib/rpc.
BDEV_UT_BASE_LIBS = lib/json/libusk_json.la lib/thread/libusk_thread.la \
	lib/env/libusk_env.la lib/log/libusk_log.la lib/util/libusk_util.la $(JANSSON_LIBS) \
	$(UT_LIBS)
BDEV_UT_LIBS = lib/bdev/libusk_bdev.la lib/rpc/libusk_rpc.la $(BDEV_UT_BASE_LIBS)
BDEV_UT_MODULE = test/unit/lib/bdev/ut_bdev_module.c test/unit/lib/bdev/ut_bdev_module.h
test_unit_lib_bdev_bdev_ut_SOURCES = test/unit/lib/bdev/bdev_ut.c $(BDEV_UT_MODULE)
test_unit_lib_bdev_bdev_ut_CPPFLAGS = $(BDEV_UT_CPPFLAGS)
test_unit_lib_bdev_bdev_ut_LDADD = $(BDEV_UT_LIBS)
# Refuses malloc() on demand, as a short memory would.
test_unit_lib_bdev_bdev_ut_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc
test_unit_lib_bdev_bdev_io_ut_SOURCES = test/unit/lib/bdev/bdev_io_ut.c $(BDEV_UT_MODULE)
test_unit_lib_bdev_bdev_io_ut_CPPFLAGS = $(BDEV_UT_CPPFLAGS)
test_unit_lib_bdev_bdev_io_ut_LDADD = $(BDEV_UT_LIBS)
test_unit_lib_bdev_bdev_channel_ut_SOURCES = test/unit/lib/bdev/bdev_channel_ut.c $(BDEV_UT_MODULE)
test_unit_lib_bdev_bdev_channel_ut_CPPFLAGS = $(BDEV_UT_CPPFLAGS)
test_unit_lib_bdev_bdev_channel_ut_LDADD = $(BDEV_UT_LIBS)
test_unit_lib_bdev_bdev_qos_ut_SOURCES = test/unit/lib/bdev/bdev_qos_ut.c $(BDEV_UT_MODULE)
test_unit_lib_bdev_bdev_qos_ut_CPPFLAGS = $(BDEV_UT_CPPFLAGS)
test_unit_lib_bdev_bdev_qos_ut_LDADD = $(BDEV_UT_LIBS)
# Refuses pollers on demand, as a short memory would.
test_unit_lib_bdev_bdev_qos_ut_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=usk_poller_register
# bdev_rpc_ut includes rpc_request.c, to answer on a fake connection in place
# of the socket server, so lib/rpc's library would define it twice.
BDEV_UT_RPC = test/unit/lib/bdev/ut_bdev_rpc.h
test_unit_lib_bdev_bdev_rpc_ut_SOURCES = test/unit/lib/bdev/bdev_rpc_ut.c $(BDEV_UT_MODULE) \
	$(BDEV_UT_RPC)
test_unit_lib_bdev_bdev_rpc_ut_CPPFLAGS = $(BDEV_UT_CPPFLAGS)
test_unit_lib_bdev_bdev_rpc_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_bdev_bdev_rpc_ut_LDADD = lib/bdev/libusk_bdev.la $(BDEV_UT_BASE_LIBS)
EXTRA_test_unit_lib_bdev_bdev_rpc_ut_DEPENDENCIES = lib/rpc/rpc_request.c
test_unit_lib_bdev_bdev_rpc_stat_ut_SOURCES = test/unit/lib/bdev/bdev_rpc_stat_ut.c \
	$(BDEV_UT_MODULE) $(BDEV_UT_RPC)
test_unit_lib_bdev_bdev_rpc_stat_ut_CPPFLAGS = $(BDEV_UT_CPPFLAGS)
test_unit_lib_bdev_bdev_rpc_stat_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_bdev_bdev_rpc_stat_ut_LDADD = lib/bdev/libusk_bdev.la $(BDEV_UT_BASE_LIBS)
EXTRA_test_unit_lib_bdev_bdev_rpc_stat_ut_DEPENDENCIES = lib/rpc/rpc_request.c
test_unit_lib_bdev_bdev_rpc_histogram_ut_SOURCES = test/unit/lib/bdev/bdev_rpc_histogram_ut.c \
	$(BDEV_UT_MODULE) $(BDEV_UT_RPC)
test_unit_lib_bdev_bdev_rpc_histogram_ut_CPPFLAGS = $(BDEV_UT_CPPFLAGS)
test_unit_lib_bdev_bdev_rpc_histogram_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_bdev_bdev_rpc_histogram_ut_LDADD = lib/bdev/libusk_bdev.la $(BDEV_UT_BASE_LIBS)
EXTRA_test_unit_lib_bdev_bdev_rpc_histogram_ut_DEPENDENCIES = lib/rpc/rpc_request.c
