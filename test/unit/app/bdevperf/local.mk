# usk_bdevperf's report, against jobs filled in by hand.
BDEVPERF_UNIT_TESTS = test/unit/app/bdevperf/bdevperf_report_ut
check_PROGRAMS += $(BDEVPERF_UNIT_TESTS)
UNIT_TESTS += $(BDEVPERF_UNIT_TESTS)
test_unit_app_bdevperf_bdevperf_report_ut_SOURCES = test/unit/app/bdevperf/bdevperf_report_ut.c \
	app/bdevperf/bdevperf_report.c
test_unit_app_bdevperf_bdevperf_report_ut_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/app/bdevperf -I$(top_srcdir)/app/nvme_perf
test_unit_app_bdevperf_bdevperf_report_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_app_bdevperf_bdevperf_report_ut_LDADD = app/nvme_perf/libperf.a lib/libusk.la \
	$(JANSSON_LIBS) $(UT_LIBS)
# usk_bdevperf's jobs against a fake bdev whose I/O the test completes.
BDEVPERF_JOB_UNIT_TESTS = test/unit/app/bdevperf/bdevperf_job_ut
check_PROGRAMS += $(BDEVPERF_JOB_UNIT_TESTS)
UNIT_TESTS += $(BDEVPERF_JOB_UNIT_TESTS)
test_unit_app_bdevperf_bdevperf_job_ut_SOURCES = test/unit/app/bdevperf/bdevperf_job_ut.c \
	app/bdevperf/bdevperf_report.c
test_unit_app_bdevperf_bdevperf_job_ut_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/app/bdevperf -I$(top_srcdir)/app/nvme_perf
test_unit_app_bdevperf_bdevperf_job_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_app_bdevperf_bdevperf_job_ut_LDADD = app/nvme_perf/libperf.a lib/libusk.la \
	$(JANSSON_LIBS) $(UT_LIBS)
