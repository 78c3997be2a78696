# lib/nvme: the polled NVMe driver.
noinst_LTLIBRARIES += lib/nvme/libusk_nvme.la
lib_nvme_libusk_nvme_la_SOURCES = \
	lib/nvme/nvme_internal.h lib/nvme/nvme_ctrlr.c lib/nvme/nvme_attach.c lib/nvme/nvme_detach.c lib/nvme/nvme_qpair.c lib/nvme/nvme_ns.c \
	lib/nvme/nvme_status.c lib/nvme/nvme_transport_id.c lib/nvme/nvme_dbbuf.c \
	lib/nvme/nvme_health.c lib/nvme/nvme_sgl.c lib/nvme/nvme_probe.c \
	lib/nvme/nvme_split.c lib/nvme/nvme_admin.c lib/nvme/nvme_admin_queue.c \
	lib/nvme/nvme_reset.c lib/nvme/nvme_reset_steps.c lib/nvme/nvme_reconnect.c \
	lib/nvme/nvme_qpair_connect.c \
	lib/nvme/nvme_qpair_disconnect.c \
	lib/nvme/nvme_timeout.c lib/nvme/nvme_iov.c lib/nvme/nvme_aer.c \
	lib/nvme/nvme_abort.c lib/nvme/nvme_io_raw.c lib/nvme/nvme_ns_io.c \
	lib/nvme/nvme_ns_format.c lib/nvme/nvme_ns_refresh.c lib/nvme/nvme_interrupt.c \
	lib/nvme/nvme_tcp_pdu.c lib/nvme/nvme_tcp_pdu_build.c \
	lib/nvme/nvme_transport.h lib/nvme/nvme_pcie.h lib/nvme/nvme_qpair_submit.h \
	lib/nvme/nvme_pcie_ctrlr.c \
	lib/nvme/nvme_pcie_qpair.c lib/nvme/nvme_fabrics.h lib/nvme/nvme_fabrics.c \
	lib/nvme/nvme_tcp.h lib/nvme/nvme_tcp_ctrlr.c lib/nvme/nvme_tcp_qpair.c \
	lib/nvme/nvme_tcp_send.c lib/nvme/nvme_tcp_recv.c lib/nvme/nvme_discovery.c
lib_libusk_la_LIBADD += lib/nvme/libusk_nvme.la
usk_include_HEADERS += include/usk/nvme.h include/usk/nvme_spec.h include/usk/nvme_tcp.h \
	include/usk/nvme_discovery.h
# lib/nvme's entry points for the nvme bdev, inside libusk.
noinst_HEADERS += include/usk_internal/nvme.h
# NVMe/TCP PDU framing, shared by the initiator and the target.
noinst_HEADERS += include/usk_internal/nvme_tcp_pdu.h
# The barriers between DMA memory and device registers, one header per CPU.
noinst_HEADERS += include/usk_internal/barrier.h include/usk_internal/arch/barrier_x86_64.h \
	include/usk_internal/arch/barrier_arm64.h
