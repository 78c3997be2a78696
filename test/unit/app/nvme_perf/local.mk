PERF_UNIT_TESTS = test/unit/app/nvme_perf/perf_opts_ut test/unit/app/nvme_perf/perf_report_ut \
	test/unit/app/nvme_perf/perf_workload_ut test/unit/app/nvme_perf/perf_verify_ut \
	test/unit/app/nvme_perf/perf_engine_ut test/unit/app/nvme_perf/perf_cores_ut \
	test/unit/app/nvme_perf/perf_wait_ut
check_PROGRAMS += $(PERF_UNIT_TESTS)
UNIT_TESTS += $(PERF_UNIT_TESTS)
PERF_UT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/app/nvme_perf
test_unit_app_nvme_perf_perf_opts_ut_CPPFLAGS = $(PERF_UT_CPPFLAGS)
test_unit_app_nvme_perf_perf_opts_ut_LDADD = app/nvme_perf/libperf.a $(UT_LIBS)
test_unit_app_nvme_perf_perf_report_ut_CPPFLAGS = $(PERF_UT_CPPFLAGS)
test_unit_app_nvme_perf_perf_report_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_app_nvme_perf_perf_report_ut_LDADD = app/nvme_perf/libperf.a lib/util/libusk_util.la \
	$(JANSSON_LIBS) $(UT_LIBS)
test_unit_app_nvme_perf_perf_workload_ut_CPPFLAGS = $(PERF_UT_CPPFLAGS)
test_unit_app_nvme_perf_perf_workload_ut_LDADD = app/nvme_perf/libperf.a $(UT_LIBS)
test_unit_app_nvme_perf_perf_verify_ut_CPPFLAGS = $(PERF_UT_CPPFLAGS)
test_unit_app_nvme_perf_perf_verify_ut_LDADD = app/nvme_perf/libperf.a $(UT_LIBS)
test_unit_app_nvme_perf_perf_engine_ut_CPPFLAGS = $(PERF_UT_CPPFLAGS)
test_unit_app_nvme_perf_perf_engine_ut_LDADD = app/nvme_perf/libperf.a lib/util/libusk_util.la \
	$(UT_LIBS)
test_unit_app_nvme_perf_perf_cores_ut_CPPFLAGS = $(PERF_UT_CPPFLAGS)
test_unit_app_nvme_perf_perf_cores_ut_LDADD = app/nvme_perf/libperf.a lib/event/libusk_event.la \
	$(UT_LIBS)
test_unit_app_nvme_perf_perf_wait_ut_CPPFLAGS = $(PERF_UT_CPPFLAGS)
test_unit_app_nvme_perf_perf_wait_ut_LDADD = app/nvme_perf/libperf.a lib/util/libusk_util.la \
	$(UT_LIBS)
# usk_nvme_perf's queue pairs against the NVMe controller model.
PERF_NVME_UNIT_TESTS = test/unit/app/nvme_perf/perf_nvme_ut
check_PROGRAMS += $(PERF_NVME_UNIT_TESTS)
UNIT_TESTS += $(PERF_NVME_UNIT_TESTS)
test_unit_app_nvme_perf_perf_nvme_ut_SOURCES = test/unit/app/nvme_perf/perf_nvme_ut.c \
	app/nvme_perf/perf_nvme.c
test_unit_app_nvme_perf_perf_nvme_ut_CPPFLAGS = $(PERF_UT_CPPFLAGS) \
	-I$(top_srcdir)/test/common/nvme_model
test_unit_app_nvme_perf_perf_nvme_ut_LDADD = app/nvme_perf/libperf.a \
	test/common/nvme_model/libnvme_model.a lib/nvme/libusk_nvme.la lib/env/libusk_env.la \
	lib/log/libusk_log.la lib/util/libusk_util.la $(UT_LIBS)
