# lib/bdev's unit tests, against a test module that holds I/O until told.
BDEV_UNIT_TESTS = test/unit/lib/bdev/bdev_ut
check_PROGRAMS += $(BDEV_UNIT_TESTS)
UNIT_TESTS += $(BDEV_UNIT_TESTS)
test_unit_lib_bdev_bdev_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/bdev
test_unit_lib_bdev_bdev_ut_LDADD = lib/bdev/libusk_bdev.la lib/rpc/libusk_rpc.la \
	lib/json/libusk_json.la lib/thread/libusk_thread.la lib/env/libusk_env.la \
	lib/log/libusk_log.la lib/util/libusk_util.la $(JANSSON_LIBS) $(UT_LIBS)
