# lib/nvme against QEMU's NVMe device, in the VM lab.
check_PROGRAMS += test/functional/nvme/nvme_rw test/functional/nvme/nvme_cmds
test_functional_nvme_nvme_rw_LDADD = lib/libusk.la
test_functional_nvme_nvme_rw_LDFLAGS = $(AM_LDFLAGS) -static
test_functional_nvme_nvme_cmds_LDADD = lib/libusk.la
test_functional_nvme_nvme_cmds_LDFLAGS = $(AM_LDFLAGS) -static
NVME_VM_TESTS = test/functional/nvme/nvme-rw-test.sh test/functional/nvme/hello-world-test.sh \
	test/functional/nvme/nvme-cmds-test.sh test/functional/nvme/usk-nvme-test.sh \
	test/functional/nvme/nvme-cli-compat-test.sh
VM_TESTS += $(NVME_VM_TESTS)
EXTRA_DIST += $(NVME_VM_TESTS) test/functional/nvme/nvme-rw.sh test/functional/nvme/hello-world.sh \
	test/functional/nvme/nvme-cmds.sh test/functional/nvme/usk-nvme.sh \
	test/functional/nvme/nvme-cli-compat.sh
