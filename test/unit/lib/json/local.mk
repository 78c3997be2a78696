# lib/json's unit tests.
JSON_UNIT_TESTS = test/unit/lib/json/json_parse_ut test/unit/lib/json/json_decode_ut \
	test/unit/lib/json/json_write_ut
check_PROGRAMS += $(JSON_UNIT_TESTS)
UNIT_TESTS += $(JSON_UNIT_TESTS)
JSON_UT_LIBS = lib/json/libusk_json.la $(UT_LIBS)
test_unit_lib_json_json_parse_ut_LDADD = $(JSON_UT_LIBS)
# It reaches lib/json's internal functions (usk_internal/json.h, over jansson).
test_unit_lib_json_json_parse_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
# It makes malloc fail on demand.
test_unit_lib_json_json_parse_ut_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc
test_unit_lib_json_json_decode_ut_LDADD = $(JSON_UT_LIBS)
test_unit_lib_json_json_write_ut_LDADD = $(JSON_UT_LIBS)
