# lib/event's unit tests: app_ut and thread_rpc_ut run real reactors on the first two cores.
EVENT_UNIT_TESTS = test/unit/lib/event/cpumask_ut test/unit/lib/event/app_args_ut \
	test/unit/lib/event/app_ut test/unit/lib/event/log_rpc_ut \
	test/unit/lib/event/thread_rpc_ut test/unit/lib/event/app_rpc_ut \
	test/unit/lib/event/app_config_ut test/unit/lib/event/reactor_sleep_ut
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
test_unit_lib_event_reactor_sleep_ut_CPPFLAGS = $(EVENT_UT_CPPFLAGS)
test_unit_lib_event_reactor_sleep_ut_LDADD = $(EVENT_UT_LIBS)
test_unit_lib_event_reactor_sleep_ut_LDFLAGS = $(AM_LDFLAGS) -static
# The RPC tests include rpc_request.c, to answer on a fake connection in place
# of the socket server, so lib/rpc's library would define it twice: they link
# lib/event and what it needs below lib/rpc.
EVENT_RPC_UT_LIBS = lib/event/libusk_event.la lib/json/libusk_json.la \
	lib/thread/libusk_thread.la lib/env/libusk_env.la lib/log/libusk_log.la \
	lib/util/libusk_util.la $(JANSSON_LIBS) $(UT_LIBS)
test_unit_lib_event_log_rpc_ut_CPPFLAGS = $(EVENT_UT_CPPFLAGS)
test_unit_lib_event_log_rpc_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_event_log_rpc_ut_LDADD = $(EVENT_RPC_UT_LIBS)
EXTRA_test_unit_lib_event_log_rpc_ut_DEPENDENCIES = lib/rpc/rpc_request.c
test_unit_lib_event_thread_rpc_ut_CPPFLAGS = $(EVENT_UT_CPPFLAGS)
test_unit_lib_event_thread_rpc_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_event_thread_rpc_ut_LDADD = $(EVENT_RPC_UT_LIBS)
EXTRA_test_unit_lib_event_thread_rpc_ut_DEPENDENCIES = lib/rpc/rpc_request.c
test_unit_lib_event_app_rpc_ut_CPPFLAGS = $(EVENT_UT_CPPFLAGS)
test_unit_lib_event_app_rpc_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_event_app_rpc_ut_LDADD = $(EVENT_RPC_UT_LIBS)
EXTRA_test_unit_lib_event_app_rpc_ut_DEPENDENCIES = lib/rpc/rpc_request.c
test_unit_lib_event_app_config_ut_CPPFLAGS = $(EVENT_UT_CPPFLAGS)
test_unit_lib_event_app_config_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_event_app_config_ut_LDADD = $(EVENT_RPC_UT_LIBS)
EXTRA_test_unit_lib_event_app_config_ut_DEPENDENCIES = lib/rpc/rpc_request.c
