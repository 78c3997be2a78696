# lib/rpc: JSON-RPC 2.0 methods and the Unix socket server.
noinst_LTLIBRARIES += lib/rpc/libusk_rpc.la
lib_rpc_libusk_rpc_la_SOURCES = lib/rpc/rpc_request.c lib/rpc/rpc_server.c lib/rpc/rpc_conn.c \
	lib/rpc/rpc_conn.h lib/rpc/rpc_internal.h
lib_rpc_libusk_rpc_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
lib_libusk_la_LIBADD += lib/rpc/libusk_rpc.la
usk_include_HEADERS += include/usk/rpc.h
