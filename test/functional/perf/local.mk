# usk_nvme_perf against QEMU's NVMe device, in the VM lab.
PERF_VM_TESTS = test/functional/perf/perf-test.sh test/functional/perf/perf-hotplug-test.sh \
	test/functional/perf/perf-media-error-test.sh
VM_TESTS += $(PERF_VM_TESTS)
EXTRA_DIST += $(PERF_VM_TESTS) test/functional/perf/perf-run.sh test/functional/perf/perf-hotplug.sh \
	test/functional/perf/perf-media-error.sh
