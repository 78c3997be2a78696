# The VM lab's own tests: setup.sh and hot-unplug in a QEMU guest.
LAB_TESTS = test/vm/setup-bind-test.sh test/vm/setup-in-use-test.sh \
	test/vm/setup-errors-test.sh test/vm/setup-no-iommu-test.sh test/vm/hotplug-test.sh \
	test/vm/media-error-test.sh test/vm/metadata-test.sh \
	test/vm/interrupts-test.sh test/vm/nvmf-tgt-test.sh \
	test/vm/nvme-tcp-initiator-test.sh
dist_pkgdata_SCRIPTS += scripts/setup.sh
VM_TESTS += $(LAB_TESTS)
EXTRA_DIST += $(LAB_TESTS) test/vm/vmlab.sh test/vm/qmp.py \
	test/vm/lib/kernel.sh test/vm/lib/initramfs.sh test/vm/lib/qemu.sh test/vm/lib/init.sh test/vm/lib/noiommu.sh \
	test/vm/tests/lib.sh test/vm/tests/setup-bind.sh test/vm/tests/setup-in-use.sh \
	test/vm/tests/setup-errors.sh test/vm/tests/setup-no-iommu.sh test/vm/tests/hotplug.sh \
	test/vm/tests/run-perf.sh test/vm/tests/media-error.sh test/vm/tests/metadata.sh \
	test/vm/tests/interrupts.sh test/vm/tests/nvmf-tgt.sh test/vm/tests/nvme-tcp-initiator.sh \
	doc/vm-lab.md
