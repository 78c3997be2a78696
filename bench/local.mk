# Benchmarks are programs that print figures; they are shipped, never run by make check.
EXTRA_DIST += bench/vs-kernel.sh bench/guest-vs-kernel.sh bench/vs_kernel_table.py \
	bench/overhead.sh bench/syscalls.sh bench/bdev_bench.py bench/scaling.sh \
	bench/guest-scaling.sh bench/aio_bench.py bench/fio-engines.sh bench/guest-fio-engines.sh
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
EXTRA_DIST += bench/perf-shared.sh bench/perf-ab.sh bench/guest-perf-turns.sh
# usk_nvme_perf next to a spdk_nvme_perf the user built, in one guest.
EXTRA_DIST += bench/vs-spdk.sh bench/guest-vs-spdk.sh bench/vs_spdk_table.py
noinst_PROGRAMS += bench/usk_nvme_perf_shared
bench_usk_nvme_perf_shared_SOURCES = $(app_nvme_perf_usk_nvme_perf_SOURCES)
bench_usk_nvme_perf_shared_LDADD = $(app_nvme_perf_usk_nvme_perf_LDADD)
bench_usk_nvme_perf_shared_LDFLAGS = $(AM_LDFLAGS) -no-install
# CRC32C throughput, the SSE4.2 path next to the table path (NVMe/TCP digests).
noinst_PROGRAMS += bench/crc32c
bench_crc32c_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/util
bench_crc32c_LDADD = lib/util/libusk_util.la -lpthread
# Interrupts: arm/disarm cost and interrupts per I/O (nvme_irq_cost), and usk_nvme_perf's
# wait modes next to the kernel's driver (bench/interrupts.sh, one VM lab boot).
EXTRA_DIST += bench/interrupts.sh bench/guest-interrupts.sh bench/interrupts_table.py
noinst_PROGRAMS += bench/nvme_irq_cost
bench_nvme_irq_cost_LDADD = lib/libusk.la
bench_nvme_irq_cost_LDFLAGS = $(AM_LDFLAGS) -static
# NVMe/TCP: usk_tgt and usk_nvme_perf over loopback on the host (bench/nvmf-tcp.sh), and
# next to the kernel's nvme-tcp and nvmet-tcp in one VM lab boot (bench/nvmf-tcp-vm.sh).
EXTRA_DIST += bench/nvmf-tcp.sh bench/nvmf-tcp-vm.sh bench/guest-nvmf-tcp.sh \
	bench/nvmf-tcp-runs.sh bench/nvmf_tcp_table.py
