# Benchmarks are programs that print figures; they are shipped, never run by make check.
EXTRA_DIST += bench/vs-kernel.sh bench/guest-vs-kernel.sh bench/vs_kernel_table.py
