check_PROGRAMS += test/unit/app/nvme_perf/perf_opts_ut
UNIT_TESTS += test/unit/app/nvme_perf/perf_opts_ut
test_unit_app_nvme_perf_perf_opts_ut_SOURCES = test/unit/app/nvme_perf/perf_opts_ut.c
test_unit_app_nvme_perf_perf_opts_ut_CPPFLAGS = $(UT_CPPFLAGS) -I$(top_srcdir)/app/nvme_perf
test_unit_app_nvme_perf_perf_opts_ut_CFLAGS = $(UT_CFLAGS)
test_unit_app_nvme_perf_perf_opts_ut_LDADD = app/nvme_perf/libperf.a $(UT_LIBS)
