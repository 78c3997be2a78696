# usk_nvme_perf's pieces, kept in a library so unit tests link them too.
noinst_LIBRARIES += app/nvme_perf/libperf.a
app_nvme_perf_libperf_a_SOURCES = \
	app/nvme_perf/perf_opts.c app/nvme_perf/perf_opts.h \
	app/nvme_perf/perf_report.c app/nvme_perf/perf_report_json.c \
	app/nvme_perf/perf_report.h \
	app/nvme_perf/perf_workload.c app/nvme_perf/perf_workload.h \
	app/nvme_perf/perf_verify.c app/nvme_perf/perf_verify.h \
	app/nvme_perf/perf_engine.c app/nvme_perf/perf_engine.h \
	app/nvme_perf/perf_cores.c app/nvme_perf/perf_cores.h \
	app/nvme_perf/perf_wait.c app/nvme_perf/perf_wait.h
app_nvme_perf_libperf_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)

bin_PROGRAMS += app/nvme_perf/usk_nvme_perf
app_nvme_perf_usk_nvme_perf_SOURCES = app/nvme_perf/perf_main.c \
	app/nvme_perf/perf_nvme.c app/nvme_perf/perf_nvme.h \
	app/nvme_perf/perf_run.c app/nvme_perf/perf_run.h
# -c goes through lib/event's core mask parser, which libusk.so does not export: lib/event's
# archive gives its object to bench/usk_nvme_perf_shared, which links libusk.so.
app_nvme_perf_usk_nvme_perf_LDADD = app/nvme_perf/libperf.a lib/event/libusk_event.la \
	lib/libusk.la $(JANSSON_LIBS) $(NUMA_LIBS)
# Linked with libusk statically: no PLT on the data path, and a binary the VM lab can copy.
app_nvme_perf_usk_nvme_perf_LDFLAGS = $(AM_LDFLAGS) -static
