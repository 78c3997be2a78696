# lib/event: reactors, the app framework, subsystems, JSON config, built-in RPC methods.
noinst_LTLIBRARIES += lib/event/libusk_event.la
lib_event_libusk_event_la_SOURCES = \
	lib/event/app.c lib/event/app_args.c lib/event/app_config.c lib/event/app_config_spdk.c \
	lib/event/app_rpc.c \
	lib/event/cpumask.c lib/event/log_rpc.c lib/event/thread_rpc.c lib/event/reactor.c \
	lib/event/reactor_sleep.c lib/event/subsystem.c \
	lib/event/event_internal.h
lib_libusk_la_LIBADD += lib/event/libusk_event.la
usk_include_HEADERS += include/usk/event.h
noinst_HEADERS += include/usk_internal/cpumask.h
