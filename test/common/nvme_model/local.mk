# The NVMe controller model the unit tests of lib/nvme run against (not installed).
check_LIBRARIES += test/common/nvme_model/libnvme_model.a
test_common_nvme_model_libnvme_model_a_SOURCES = \
	test/common/nvme_model/nvme_model.c test/common/nvme_model/nvme_model_pci.c \
	test/common/nvme_model/nvme_model_poll.c test/common/nvme_model/nvme_model_dma.c \
	test/common/nvme_model/nvme_model_queue.c test/common/nvme_model/nvme_model_admin.c \
	test/common/nvme_model/nvme_model_io.c test/common/nvme_model/nvme_model_inspect.c \
	test/common/nvme_model/nvme_model_ns.c test/common/nvme_model/nvme_model_pi.c \
	test/common/nvme_model/nvme_model_msix.c \
	test/common/nvme_model/nvme_model.h test/common/nvme_model/nvme_model_internal.h
