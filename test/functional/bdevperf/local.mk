# usk_bdevperf on the host, against malloc and null bdevs; and in the VM
# lab, against QEMU's NVMe device through the nvme bdev module: a run, a
# hot-unplug, and faults under verify (a reset storm, commands that never
# complete, a media error; doc/reliability.md).
TESTS += test/functional/bdevperf/bdevperf-test.sh
BDEVPERF_VM_TESTS = test/functional/bdevperf/bdevperf-nvme-test.sh \
	test/functional/bdevperf/bdevperf-nvme-hotplug-test.sh \
	test/functional/bdevperf/bdevperf-nvme-faults-test.sh
VM_TESTS += $(BDEVPERF_VM_TESTS)
EXTRA_DIST += test/functional/bdevperf/bdevperf-test.sh $(BDEVPERF_VM_TESTS) \
	test/functional/bdevperf/bdevperf-nvme.sh test/functional/bdevperf/bdevperf-nvme-hotplug.sh \
	test/functional/bdevperf/bdevperf-nvme-faults.sh
