# usk_bdevperf: bdevs driven through the bdev layer; shares usk_nvme_perf's workload and verify pattern.
bin_PROGRAMS += app/bdevperf/usk_bdevperf
app_bdevperf_usk_bdevperf_SOURCES = app/bdevperf/bdevperf_main.c app/bdevperf/bdevperf_job.c \
	app/bdevperf/bdevperf_report.c app/bdevperf/bdevperf.h
app_bdevperf_usk_bdevperf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/app/nvme_perf
app_bdevperf_usk_bdevperf_LDADD = app/nvme_perf/libperf.a lib/libusk.la $(JANSSON_LIBS) \
	$(NUMA_LIBS)
app_bdevperf_usk_bdevperf_LDFLAGS = $(AM_LDFLAGS) -static
