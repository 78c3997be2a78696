# lib/thread's unit tests: threads polled by hand, and by pthreads for ordering.
THREAD_UNIT_TESTS = test/unit/lib/thread/thread_ut test/unit/lib/thread/poller_ut \
	test/unit/lib/thread/io_channel_ut test/unit/lib/thread/msg_ring_ut \
	test/unit/lib/thread/thread_sleep_ut
check_PROGRAMS += $(THREAD_UNIT_TESTS)
UNIT_TESTS += $(THREAD_UNIT_TESTS)
THREAD_UT_LIBS = lib/thread/libusk_thread.la lib/log/libusk_log.la lib/util/libusk_util.la \
	$(UT_LIBS)
test_unit_lib_thread_thread_ut_LDADD = $(THREAD_UT_LIBS)
test_unit_lib_thread_poller_ut_LDADD = $(THREAD_UT_LIBS)
test_unit_lib_thread_io_channel_ut_LDADD = $(THREAD_UT_LIBS)
test_unit_lib_thread_thread_sleep_ut_LDADD = $(THREAD_UT_LIBS)
test_unit_lib_thread_msg_ring_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/thread
test_unit_lib_thread_msg_ring_ut_LDADD = $(THREAD_UT_LIBS)
