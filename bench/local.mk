# Benchmarks are programs that print figures; they are shipped, never run by make check.
EXTRA_DIST += bench/vs-kernel.sh bench/guest-vs-kernel.sh bench/vs_kernel_table.py \
	bench/overhead.sh bench/syscalls.sh bench/bdev_bench.py bench/scaling.sh \
	bench/guest-scaling.sh
noinst_PROGRAMS = bench/nvme_overhead bench/thread_msg
bench_nvme_overhead_LDADD = lib/libusk.la
bench_nvme_overhead_LDFLAGS = $(AM_LDFLAGS) -static
# Messages and poll iterations of lib/thread next to a mutex+condvar queue.
bench_thread_msg_LDADD = lib/libusk.la
bench_thread_msg_LDFLAGS = $(AM_LDFLAGS) -static
# Instructions per read through usk_nvme_perf's engine against the NVMe controller model,
# counted by bench/nvme_cost.sh under callgrind.
EXTRA_DIST += bench/nvme_cost.sh bench/callgrind_split.py
noinst_PROGRAMS += bench/nvme_cost
bench_nvme_cost_SOURCES = bench/nvme_cost.c app/nvme_perf/perf_nvme.c
bench_nvme_cost_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/app/nvme_perf \
	-I$(top_srcdir)/test/common/nvme_model
bench_nvme_cost_LDADD = app/nvme_perf/libperf.a test/common/nvme_model/libnvme_model.a \
	lib/libusk.la $(JANSSON_LIBS) $(NUMA_LIBS)
bench_nvme_cost_LDFLAGS = $(AM_LDFLAGS) -static
# usk_nvme_perf linked to libusk.so, as the README tells embedders to link, for
# bench/perf-shared.sh to run next to the static one. -no-install: the build
# tree's library path goes into the binary (no libtool wrapper), so it runs from
# the build tree and, copied with the libraries ldd lists, in the VM lab.
EXTRA_DIST += bench/perf-shared.sh
noinst_PROGRAMS += bench/usk_nvme_perf_shared
bench_usk_nvme_perf_shared_SOURCES = $(app_nvme_perf_usk_nvme_perf_SOURCES)
bench_usk_nvme_perf_shared_LDADD = $(app_nvme_perf_usk_nvme_perf_LDADD)
bench_usk_nvme_perf_shared_LDFLAGS = $(AM_LDFLAGS) -no-install
