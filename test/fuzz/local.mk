# libFuzzer targets, one for each parser of outside input (doc/fuzz.md).
# Built only by configure --enable-fuzz (clang); scripts/test.sh --fuzz runs them.
FUZZ_TARGETS = test/fuzz/fuzz_json_rpc test/fuzz/fuzz_json_config \
	test/fuzz/fuzz_transport_id test/fuzz/fuzz_perf_opts test/fuzz/fuzz_bdevperf_opts \
	test/fuzz/fuzz_nvme_cqe test/fuzz/fuzz_nvme_cli_opts test/fuzz/fuzz_nvme_tcp_pdu \
	test/fuzz/fuzz_nvme_discovery test/fuzz/fuzz_nvmf_tcp_conn test/fuzz/fuzz_rpc_conn
if USK_FUZZ
noinst_PROGRAMS += $(FUZZ_TARGETS)
endif
# libFuzzer brings main(); the libraries were built with its coverage (fuzzer-no-link).
FUZZ_LINK_FLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
FUZZ_INCLUDES = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/rpc -I$(top_srcdir)/lib/event \
	-I$(top_srcdir)/lib/bdev -I$(top_srcdir)/module/bdev -I$(top_srcdir)/lib/nvme \
	-I$(top_srcdir)/test/common/nvme_model -I$(top_srcdir)/app/nvme_perf
FUZZ_CC_FLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
# Everything below lib/rpc and lib/event that the RPC methods reach, in link order.
FUZZ_METHOD_LIBS = lib/bdev/libusk_bdev.la lib/nvme/libusk_nvme.la \
	lib/thread/libusk_thread.la lib/env/libusk_env.la lib/json/libusk_json.la \
	lib/log/libusk_log.la lib/util/libusk_util.la $(JANSSON_LIBS) $(URING_LIBS) $(AIO_LIBS) \
	$(NUMA_LIBS) -lpthread
FUZZ_RPC_ENV = test/fuzz/fuzz_rpc_env.c test/fuzz/fuzz_rpc_env.h test/fuzz/fuzz_common.h

# fuzz_json_rpc includes rpc_request.c to answer on a fake connection, so
# lib/rpc's library (whose server defines the connection) stays out.
test_fuzz_fuzz_json_rpc_SOURCES = test/fuzz/fuzz_json_rpc.c $(FUZZ_RPC_ENV)
test_fuzz_fuzz_json_rpc_CPPFLAGS = $(FUZZ_INCLUDES)
test_fuzz_fuzz_json_rpc_CFLAGS = $(FUZZ_CC_FLAGS)
test_fuzz_fuzz_json_rpc_LDFLAGS = $(FUZZ_LINK_FLAGS)
test_fuzz_fuzz_json_rpc_LDADD = module/bdev/libusk_bdev_modules.la lib/event/libusk_event.la \
	$(FUZZ_METHOD_LIBS)
EXTRA_test_fuzz_fuzz_json_rpc_DEPENDENCIES = lib/rpc/rpc_request.c

test_fuzz_fuzz_json_config_SOURCES = test/fuzz/fuzz_json_config.c $(FUZZ_RPC_ENV)
test_fuzz_fuzz_json_config_CPPFLAGS = $(FUZZ_INCLUDES)
test_fuzz_fuzz_json_config_CFLAGS = $(FUZZ_CC_FLAGS)
test_fuzz_fuzz_json_config_LDFLAGS = $(FUZZ_LINK_FLAGS)
test_fuzz_fuzz_json_config_LDADD = module/bdev/libusk_bdev_modules.la lib/event/libusk_event.la \
	lib/rpc/libusk_rpc.la $(FUZZ_METHOD_LIBS)

test_fuzz_fuzz_transport_id_SOURCES = test/fuzz/fuzz_transport_id.c test/fuzz/fuzz_common.h
test_fuzz_fuzz_transport_id_LDFLAGS = $(FUZZ_LINK_FLAGS)
test_fuzz_fuzz_transport_id_LDADD = lib/nvme/libusk_nvme.la lib/env/libusk_env.la \
	lib/log/libusk_log.la lib/util/libusk_util.la $(NUMA_LIBS) -lpthread

test_fuzz_fuzz_perf_opts_SOURCES = test/fuzz/fuzz_perf_opts.c test/fuzz/fuzz_common.h
test_fuzz_fuzz_perf_opts_CPPFLAGS = $(FUZZ_INCLUDES)
test_fuzz_fuzz_perf_opts_LDFLAGS = $(FUZZ_LINK_FLAGS)
test_fuzz_fuzz_perf_opts_LDADD = app/nvme_perf/libperf.a lib/event/libusk_event.la \
	lib/nvme/libusk_nvme.la \
	lib/env/libusk_env.la lib/log/libusk_log.la lib/util/libusk_util.la $(NUMA_LIBS) -lpthread

# fuzz_bdevperf_opts includes bdevperf_main.c for its static parse function;
# the rest of usk_bdevperf comes along so that file links.
test_fuzz_fuzz_bdevperf_opts_SOURCES = test/fuzz/fuzz_bdevperf_opts.c test/fuzz/fuzz_common.h \
	app/bdevperf/bdevperf_job.c app/bdevperf/bdevperf_report.c
test_fuzz_fuzz_bdevperf_opts_CPPFLAGS = $(FUZZ_INCLUDES) -I$(top_srcdir)/app/bdevperf
test_fuzz_fuzz_bdevperf_opts_LDFLAGS = $(FUZZ_LINK_FLAGS)
test_fuzz_fuzz_bdevperf_opts_LDADD = app/nvme_perf/libperf.a module/bdev/libusk_bdev_modules.la \
	lib/event/libusk_event.la lib/rpc/libusk_rpc.la $(FUZZ_METHOD_LIBS)
EXTRA_test_fuzz_fuzz_bdevperf_opts_DEPENDENCIES = app/bdevperf/bdevperf_main.c

test_fuzz_fuzz_nvme_cqe_SOURCES = test/fuzz/fuzz_nvme_cqe.c test/fuzz/fuzz_common.h
test_fuzz_fuzz_nvme_cqe_CPPFLAGS = $(FUZZ_INCLUDES)
test_fuzz_fuzz_nvme_cqe_LDFLAGS = $(FUZZ_LINK_FLAGS)
test_fuzz_fuzz_nvme_cqe_LDADD = test/common/nvme_model/libnvme_model.a lib/nvme/libusk_nvme.la \
	lib/env/libusk_env.la lib/log/libusk_log.la lib/util/libusk_util.la $(NUMA_LIBS) -lpthread

test_fuzz_fuzz_nvme_cli_opts_SOURCES = test/fuzz/fuzz_nvme_cli_opts.c test/fuzz/fuzz_common.h
test_fuzz_fuzz_nvme_cli_opts_CPPFLAGS = $(FUZZ_INCLUDES) -I$(top_srcdir)/app/nvme
test_fuzz_fuzz_nvme_cli_opts_LDFLAGS = $(FUZZ_LINK_FLAGS)
test_fuzz_fuzz_nvme_cli_opts_LDADD = app/nvme/libnvme_cli.a lib/log/libusk_log.la \
	lib/util/libusk_util.la -lpthread

test_fuzz_fuzz_nvme_tcp_pdu_SOURCES = test/fuzz/fuzz_nvme_tcp_pdu.c test/fuzz/fuzz_common.h
test_fuzz_fuzz_nvme_tcp_pdu_LDFLAGS = $(FUZZ_LINK_FLAGS)
test_fuzz_fuzz_nvme_tcp_pdu_LDADD = lib/nvme/libusk_nvme.la lib/env/libusk_env.la \
	lib/log/libusk_log.la lib/util/libusk_util.la $(NUMA_LIBS) -lpthread

# fuzz_nvme_discovery includes nvme_discovery.c and answers its Get Log Pages itself,
# so lib/nvme's library (whose admin queue defines that function) stays out.
test_fuzz_fuzz_nvme_discovery_SOURCES = test/fuzz/fuzz_nvme_discovery.c test/fuzz/fuzz_common.h
test_fuzz_fuzz_nvme_discovery_CPPFLAGS = $(FUZZ_INCLUDES)
test_fuzz_fuzz_nvme_discovery_LDFLAGS = $(FUZZ_LINK_FLAGS)
test_fuzz_fuzz_nvme_discovery_LDADD = lib/env/libusk_env.la lib/log/libusk_log.la \
	lib/util/libusk_util.la $(NUMA_LIBS) -lpthread
EXTRA_test_fuzz_fuzz_nvme_discovery_DEPENDENCIES = lib/nvme/nvme_discovery.c
# fuzz_nvmf_tcp_conn: usk_tgt's target on threads polled by the fuzzer. --wrap puts its
# invariant checks where lib/nvmf's files call each other (fuzz_nvmf_tcp_tgt.c).
FUZZ_NVMF_WRAPS = -Wl,--wrap=nvmf_tcp_conn_create -Wl,--wrap=nvmf_tcp_conn_free \
	-Wl,--wrap=nvmf_poll_group_remove_conn -Wl,--wrap=nvmf_tcp_req_complete
test_fuzz_fuzz_nvmf_tcp_conn_SOURCES = test/fuzz/fuzz_nvmf_tcp_conn.c \
	test/fuzz/fuzz_nvmf_tcp_tgt.c test/fuzz/fuzz_nvmf_tcp_tgt.h test/fuzz/fuzz_common.h
test_fuzz_fuzz_nvmf_tcp_conn_CPPFLAGS = $(FUZZ_INCLUDES) -I$(top_srcdir)/lib/nvmf \
	-I$(top_srcdir)/test/common -I$(top_srcdir)/test/unit/lib/nvmf
test_fuzz_fuzz_nvmf_tcp_conn_CFLAGS = $(FUZZ_CC_FLAGS)
test_fuzz_fuzz_nvmf_tcp_conn_LDFLAGS = $(FUZZ_LINK_FLAGS) $(FUZZ_NVMF_WRAPS)
test_fuzz_fuzz_nvmf_tcp_conn_LDADD = lib/nvmf/libusk_nvmf.la module/bdev/libusk_bdev_modules.la \
	lib/rpc/libusk_rpc.la \
	$(FUZZ_METHOD_LIBS)

# fuzz_rpc_conn includes lib/rpc's three files, as rpc_server_ut does, to add a
# connection without a listening socket; lib/rpc's library stays out.
test_fuzz_fuzz_rpc_conn_SOURCES = test/fuzz/fuzz_rpc_conn.c test/fuzz/fuzz_common.h
test_fuzz_fuzz_rpc_conn_CPPFLAGS = $(FUZZ_INCLUDES)
test_fuzz_fuzz_rpc_conn_CFLAGS = $(FUZZ_CC_FLAGS)
test_fuzz_fuzz_rpc_conn_LDFLAGS = $(FUZZ_LINK_FLAGS)
test_fuzz_fuzz_rpc_conn_LDADD = lib/thread/libusk_thread.la lib/env/libusk_env.la \
	lib/json/libusk_json.la lib/log/libusk_log.la lib/util/libusk_util.la $(JANSSON_LIBS) \
	$(NUMA_LIBS) -lpthread
EXTRA_test_fuzz_fuzz_rpc_conn_DEPENDENCIES = lib/rpc/rpc_request.c lib/rpc/rpc_conn.c \
	lib/rpc/rpc_server.c lib/rpc/rpc_conn.h

# Builds the targets alone, without the rest of the tree (scripts/test.sh --fuzz).
.PHONY: fuzz-targets print-fuzz-targets
fuzz-targets: $(FUZZ_TARGETS:=$(EXEEXT))
print-fuzz-targets:
	@echo $(FUZZ_TARGETS)

EXTRA_DIST += test/fuzz/corpus test/fuzz/FINDINGS.md test/fuzz/run.sh doc/fuzz.md
