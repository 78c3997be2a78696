check_PROGRAMS += test/unit/lib/log/log_ut
UNIT_TESTS += test/unit/lib/log/log_ut
test_unit_lib_log_log_ut_SOURCES = test/unit/lib/log/log_ut.c
test_unit_lib_log_log_ut_CPPFLAGS = $(UT_CPPFLAGS)
test_unit_lib_log_log_ut_CFLAGS = $(UT_CFLAGS)
test_unit_lib_log_log_ut_LDADD = lib/log/libusk_log.la $(UT_LIBS)
