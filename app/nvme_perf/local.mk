# usk_nvme_perf's pieces, kept in a library so unit tests link them too.
noinst_LIBRARIES += app/nvme_perf/libperf.a
app_nvme_perf_libperf_a_SOURCES = \
	app/nvme_perf/perf_opts.c app/nvme_perf/perf_opts.h \
	app/nvme_perf/perf_report.c app/nvme_perf/perf_report_json.c \
	app/nvme_perf/perf_report.h \
	app/nvme_perf/perf_workload.c app/nvme_perf/perf_workload.h \
	app/nvme_perf/perf_verify.c app/nvme_perf/perf_verify.h \
	app/nvme_perf/perf_engine.c app/nvme_perf/perf_engine.h
app_nvme_perf_libperf_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
