check_PROGRAMS += test/unit/lib/log/log_ut
UNIT_TESTS += test/unit/lib/log/log_ut
test_unit_lib_log_log_ut_LDADD = lib/log/libusk_log.la $(UT_LIBS)
