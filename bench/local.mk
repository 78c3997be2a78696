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
