# fio's usk_bdev engine on the host (malloc, null, uring bdevs), and its
# usk_nvme engine in the VM lab, checked against the kernel's nvme driver.
# Only where the engines are built (configure --with-fio).
if USK_FIO
TESTS += test/functional/fio/fio-bdev-test.sh
VM_TESTS += test/functional/fio/fio-nvme-test.sh
endif
EXTRA_DIST += test/functional/fio/fio-bdev-test.sh test/functional/fio/fio-nvme-test.sh \
	test/functional/fio/fio-nvme.sh
