# lib/thread: lightweight threads, messages, pollers, I/O channels.
noinst_LTLIBRARIES += lib/thread/libusk_thread.la
lib_thread_libusk_thread_la_SOURCES = \
	lib/thread/thread.c lib/thread/poller.c lib/thread/thread_sleep.c lib/thread/io_channel.c \
	lib/thread/msg_ring.c \
	lib/thread/msg_ring.h \
	lib/thread/thread_internal.h
lib_libusk_la_LIBADD += lib/thread/libusk_thread.la
usk_include_HEADERS += include/usk/thread.h
