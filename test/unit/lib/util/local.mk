UTIL_UNIT_TESTS = test/unit/lib/util/histogram_ut test/unit/lib/util/bit_ut \
	test/unit/lib/util/ticks_ut test/unit/lib/util/uuid_ut \
	test/unit/lib/util/crc32c_ut test/unit/lib/util/sock_ut \
	test/unit/lib/util/idle_spell_ut
check_PROGRAMS += $(UTIL_UNIT_TESTS)
UNIT_TESTS += $(UTIL_UNIT_TESTS)
# histogram_ut includes histogram.c to reach its bucket helpers.
test_unit_lib_util_histogram_ut_LDADD = $(UT_LIBS)
EXTRA_test_unit_lib_util_histogram_ut_DEPENDENCIES = lib/util/histogram.c
# bit_ut tests the inline bit maths of include/usk/util.h.
test_unit_lib_util_bit_ut_LDADD = $(UT_LIBS)
test_unit_lib_util_ticks_ut_LDADD = lib/util/libusk_util.la $(UT_LIBS)
test_unit_lib_util_uuid_ut_LDADD = lib/util/libusk_util.la $(UT_LIBS)
# crc32c_ut reaches the table and SSE4.2 paths one by one (crc32c_internal.h).
test_unit_lib_util_crc32c_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/util
test_unit_lib_util_crc32c_ut_LDADD = lib/util/libusk_util.la $(UT_LIBS) -lpthread
test_unit_lib_util_sock_ut_LDADD = lib/util/libusk_util.la $(UT_LIBS)
test_unit_lib_util_idle_spell_ut_LDADD = lib/util/libusk_util.la $(UT_LIBS)
