# usk_bdevperf on the host, against malloc and null bdevs; and in the VM
# lab, against QEMU's NVMe device through the nvme bdev module.
TESTS += test/functional/bdevperf/bdevperf-test.sh
BDEVPERF_VM_TESTS = test/functional/bdevperf/bdevperf-nvme-test.sh \
	test/functional/bdevperf/bdevperf-nvme-hotplug-test.sh
VM_TESTS += $(BDEVPERF_VM_TESTS)
EXTRA_DIST += test/functional/bdevperf/bdevperf-test.sh $(BDEVPERF_VM_TESTS) \
	test/functional/bdevperf/bdevperf-nvme.sh test/functional/bdevperf/bdevperf-nvme-hotplug.sh
