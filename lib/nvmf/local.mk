# lib/nvmf: the NVMe-oF target (NVMe/TCP) of usk_tgt.
noinst_LTLIBRARIES += lib/nvmf/libusk_nvmf.la
lib_nvmf_libusk_nvmf_la_SOURCES = \
	lib/nvmf/nvmf_internal.h lib/nvmf/nvmf_tcp.h \
	lib/nvmf/nvmf_tgt.c lib/nvmf/nvmf_subsystem.c lib/nvmf/nvmf_rpc.c \
	lib/nvmf/nvmf_rpc_subsystem.c lib/nvmf/nvmf_ctrlr.c lib/nvmf/nvmf_admin.c lib/nvmf/nvmf_features.c \
	lib/nvmf/nvmf_discovery.c lib/nvmf/nvmf_io.c lib/nvmf/nvmf_req.c \
	lib/nvmf/nvmf_poll_group.c lib/nvmf/nvmf_tcp_listen.c lib/nvmf/nvmf_tcp_conn.c \
	lib/nvmf/nvmf_tcp_req.c
lib_libusk_la_LIBADD += lib/nvmf/libusk_nvmf.la
usk_include_HEADERS += include/usk/nvmf.h include/usk/nvmf_spec.h
