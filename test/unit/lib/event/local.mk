# lib/event's unit tests: app_ut runs real reactors on the first two cores.
EVENT_UNIT_TESTS = test/unit/lib/event/cpumask_ut test/unit/lib/event/app_args_ut \
	test/unit/lib/event/app_ut
check_PROGRAMS += $(EVENT_UNIT_TESTS)
UNIT_TESTS += $(EVENT_UNIT_TESTS)
EVENT_UT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/event
EVENT_UT_LIBS = lib/libusk.la $(UT_LIBS)
test_unit_lib_event_cpumask_ut_CPPFLAGS = $(EVENT_UT_CPPFLAGS)
test_unit_lib_event_cpumask_ut_LDADD = lib/event/libusk_event.la $(UT_LIBS)
test_unit_lib_event_app_args_ut_LDADD = $(EVENT_UT_LIBS)
test_unit_lib_event_app_args_ut_LDFLAGS = $(AM_LDFLAGS) -static
test_unit_lib_event_app_ut_CPPFLAGS = $(EVENT_UT_CPPFLAGS)
test_unit_lib_event_app_ut_LDADD = $(EVENT_UT_LIBS)
test_unit_lib_event_app_ut_LDFLAGS = $(AM_LDFLAGS) -static
