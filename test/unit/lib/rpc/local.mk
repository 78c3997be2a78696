# lib/rpc's unit tests; the socket server is also tested against usk_tgt (test/functional/rpc).
RPC_UNIT_TESTS = test/unit/lib/rpc/rpc_request_ut test/unit/lib/rpc/rpc_server_ut
check_PROGRAMS += $(RPC_UNIT_TESTS)
UNIT_TESTS += $(RPC_UNIT_TESTS)
# rpc_request_ut includes rpc_request.c and stands in for the server's connections.
test_unit_lib_rpc_rpc_request_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_rpc_rpc_request_ut_LDADD = lib/json/libusk_json.la lib/log/libusk_log.la $(UT_LIBS)
EXTRA_test_unit_lib_rpc_rpc_request_ut_DEPENDENCIES = lib/rpc/rpc_request.c
# rpc_server_ut includes the server's three files; it stands in for the thread
# library and the tick rate, and runs the poller's body at mocked times.
test_unit_lib_rpc_rpc_server_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_lib_rpc_rpc_server_ut_LDADD = lib/json/libusk_json.la lib/log/libusk_log.la $(UT_LIBS)
# It counts the bytes the server hands the parser.
test_unit_lib_rpc_rpc_server_ut_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=usk_json_parse
EXTRA_test_unit_lib_rpc_rpc_server_ut_DEPENDENCIES = lib/rpc/rpc_request.c lib/rpc/rpc_conn.c \
	lib/rpc/rpc_server.c lib/rpc/rpc_conn.h
