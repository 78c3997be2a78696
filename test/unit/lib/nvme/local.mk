# lib/nvme's unit tests; those that need a device run against the NVMe controller model.
NVME_UNIT_TESTS = test/unit/lib/nvme/nvme_qpair_ut test/unit/lib/nvme/nvme_status_ut \
	test/unit/lib/nvme/nvme_transport_id_ut test/unit/lib/nvme/nvme_ctrlr_ut \
	test/unit/lib/nvme/nvme_ns_ut test/unit/lib/nvme/nvme_dbbuf_ut \
	test/unit/lib/nvme/nvme_health_ut test/unit/lib/nvme/nvme_sgl_ut \
	test/unit/lib/nvme/nvme_probe_ut test/unit/lib/nvme/nvme_split_ut \
	test/unit/lib/nvme/nvme_admin_ut test/unit/lib/nvme/nvme_reset_ut \
	test/unit/lib/nvme/nvme_reset_steps_ut test/unit/lib/nvme/nvme_attach_ut \
	test/unit/lib/nvme/nvme_detach_ut \
	test/unit/lib/nvme/nvme_timeout_ut test/unit/lib/nvme/nvme_iov_ut \
	test/unit/lib/nvme/nvme_aer_ut test/unit/lib/nvme/nvme_abort_ut \
	test/unit/lib/nvme/nvme_model_ut test/unit/lib/nvme/nvme_io_raw_ut \
	test/unit/lib/nvme/nvme_qpair_disconnect_ut \
	test/unit/lib/nvme/nvme_ns_format_ut test/unit/lib/nvme/nvme_ns_io_ut \
	test/unit/lib/nvme/nvme_tcp_pdu_ut test/unit/lib/nvme/nvme_interrupt_ut \
	test/unit/lib/nvme/nvme_tcp_ut test/unit/lib/nvme/nvme_fabrics_ut \
	test/unit/lib/nvme/nvme_discovery_ut test/unit/lib/nvme/nvme_reconnect_ut \
	test/unit/lib/nvme/nvme_tcp_pdu_build_ut test/unit/lib/nvme/nvme_tcp_send_ut \
	test/unit/lib/nvme/nvme_tcp_recv_ut
check_PROGRAMS += $(NVME_UNIT_TESTS)
UNIT_TESTS += $(NVME_UNIT_TESTS)
NVME_UT_LIBS = lib/nvme/libusk_nvme.la lib/env/libusk_env.la lib/log/libusk_log.la \
	lib/util/libusk_util.la $(UT_LIBS)
# lib/nvme again, on a clock the test moves (ut_nvme_ticks.h, nvme_ticks()), for the
# tests of its timeouts and deadlines: they then check them to the tick, never sleep
# for one, and do not depend on the machine's load.
check_LIBRARIES += test/unit/lib/nvme/libusk_nvme_ut_ticks.a
test_unit_lib_nvme_libusk_nvme_ut_ticks_a_SOURCES = $(lib_nvme_libusk_nvme_la_SOURCES) \
	test/unit/lib/nvme/ut_nvme_ticks.c test/unit/lib/nvme/ut_nvme_ticks.h
test_unit_lib_nvme_libusk_nvme_ut_ticks_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvme \
	-DNVME_UT_TICKS
NVME_UT_TICKS_LIBS = test/common/nvme_model/libnvme_model.a \
	test/unit/lib/nvme/libusk_nvme_ut_ticks.a lib/env/libusk_env.la lib/log/libusk_log.la \
	lib/util/libusk_util.la $(UT_LIBS)
# nvme_qpair_ut: the PRP builder alone, and the rings against the NVMe controller model.
test_unit_lib_nvme_nvme_qpair_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvme \
	-I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_qpair_ut_LDADD = test/common/nvme_model/libnvme_model.a $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_status_ut_LDADD = $(NVME_UT_LIBS)
# nvme_ns_format_ut: the LBA format parser alone, on Identify Namespace tables.
test_unit_lib_nvme_nvme_ns_format_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvme
test_unit_lib_nvme_nvme_ns_format_ut_LDADD = $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_transport_id_ut_LDADD = $(NVME_UT_LIBS)
# nvme_fabrics_ut: the Fabrics command builders alone.
test_unit_lib_nvme_nvme_fabrics_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvme
test_unit_lib_nvme_nvme_fabrics_ut_LDADD = $(NVME_UT_LIBS)
# nvme_ctrlr_ut runs the driver against the NVMe controller model, on the clock it moves.
test_unit_lib_nvme_nvme_ctrlr_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_ctrlr_ut_LDADD = $(NVME_UT_TICKS_LIBS)
# nvme_ns_ut runs the driver against the NVMe controller model.
test_unit_lib_nvme_nvme_ns_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model \
	-I$(top_srcdir)/lib/nvme
test_unit_lib_nvme_nvme_ns_ut_LDADD = test/common/nvme_model/libnvme_model.a $(NVME_UT_LIBS)
# nvme_ns_io_ut: metadata and protection information against the model.
test_unit_lib_nvme_nvme_ns_io_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_ns_io_ut_LDADD = test/common/nvme_model/libnvme_model.a $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_dbbuf_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_dbbuf_ut_LDADD = test/common/nvme_model/libnvme_model.a $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_health_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
# On the clock the test moves: the 100 ms a failing controller may take to stop, to the tick.
test_unit_lib_nvme_nvme_health_ut_LDADD = $(NVME_UT_TICKS_LIBS)
test_unit_lib_nvme_nvme_sgl_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvme
test_unit_lib_nvme_nvme_sgl_ut_LDADD = $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_probe_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/env
test_unit_lib_nvme_nvme_probe_ut_LDADD = $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_split_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model \
	-I$(top_srcdir)/lib/nvme
test_unit_lib_nvme_nvme_split_ut_LDADD = test/common/nvme_model/libnvme_model.a $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_admin_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model \
	-I$(top_srcdir)/lib/nvme
test_unit_lib_nvme_nvme_admin_ut_LDADD = $(NVME_UT_TICKS_LIBS)
test_unit_lib_nvme_nvme_reset_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_reset_ut_LDADD = $(NVME_UT_TICKS_LIBS)
test_unit_lib_nvme_nvme_reset_steps_ut_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_reset_steps_ut_LDADD = $(NVME_UT_TICKS_LIBS)
# nvme_attach_ut, nvme_detach_ut: bring-up and shutdown by polls, on the clock the test moves.
test_unit_lib_nvme_nvme_attach_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_attach_ut_LDADD = $(NVME_UT_TICKS_LIBS)
test_unit_lib_nvme_nvme_detach_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_detach_ut_LDADD = $(NVME_UT_TICKS_LIBS)
# nvme_reconnect_ut: the reconnect policy's deadlines on a bare controller, on the test's clock.
test_unit_lib_nvme_nvme_reconnect_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvme \
	-DNVME_UT_TICKS
test_unit_lib_nvme_nvme_reconnect_ut_LDADD = $(NVME_UT_TICKS_LIBS)
test_unit_lib_nvme_nvme_timeout_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_timeout_ut_LDADD = $(NVME_UT_TICKS_LIBS)
test_unit_lib_nvme_nvme_qpair_disconnect_ut_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_qpair_disconnect_ut_LDADD = $(NVME_UT_TICKS_LIBS)
# nvme_interrupt_ut: MSI-X eventfds, arm and disarm against the model's vectors; on the clock
# the test moves, which stands still: bring-up waits for the model's CSTS.RDY, however
# late a loaded machine runs it, instead of failing at CAP.TO of the wall clock.
test_unit_lib_nvme_nvme_interrupt_ut_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_interrupt_ut_LDADD = $(NVME_UT_TICKS_LIBS)
test_unit_lib_nvme_nvme_iov_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvme \
	-I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_iov_ut_LDADD = test/common/nvme_model/libnvme_model.a $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_aer_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
# On the clock the test moves: a poll that waited on it would wait for ever.
test_unit_lib_nvme_nvme_aer_ut_LDADD = $(NVME_UT_TICKS_LIBS)
test_unit_lib_nvme_nvme_abort_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_abort_ut_LDADD = test/common/nvme_model/libnvme_model.a $(NVME_UT_LIBS)
# nvme_model_ut checks the controller model itself, through its registers, on a clock of its own.
test_unit_lib_nvme_nvme_model_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_model_ut_LDADD = test/common/nvme_model/libnvme_model.a $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_io_raw_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvme \
	-I$(top_srcdir)/test/common/nvme_model
test_unit_lib_nvme_nvme_io_raw_ut_LDADD = test/common/nvme_model/libnvme_model.a $(NVME_UT_LIBS)
# nvme_tcp_pdu_ut: NVMe/TCP framing alone, builder to receiver.
test_unit_lib_nvme_nvme_tcp_pdu_ut_LDADD = $(NVME_UT_LIBS)
# nvme_tcp_pdu_build_ut: the builder's PDUs read back byte by byte against the spec's layouts.
test_unit_lib_nvme_nvme_tcp_pdu_build_ut_LDADD = $(NVME_UT_LIBS)
# The tests of one source of the NVMe/TCP initiator: a bare queue pair over a scripted
# socket (ut_tcp_qpair.c), which the --wrap options put under lib/nvme's socket calls.
UT_TCP_QPAIR_SOURCES = test/unit/lib/nvme/ut_tcp_qpair.c test/unit/lib/nvme/ut_tcp_qpair.h
UT_TCP_QPAIR_WRAPS = -Wl,--wrap=usk_sock_writev -Wl,--wrap=usk_sock_readv \
	-Wl,--wrap=usk_sock_close
test_unit_lib_nvme_nvme_tcp_send_ut_SOURCES = test/unit/lib/nvme/nvme_tcp_send_ut.c \
	$(UT_TCP_QPAIR_SOURCES)
test_unit_lib_nvme_nvme_tcp_send_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvme
test_unit_lib_nvme_nvme_tcp_send_ut_LDADD = $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_tcp_send_ut_LDFLAGS = $(AM_LDFLAGS) $(UT_TCP_QPAIR_WRAPS)
test_unit_lib_nvme_nvme_tcp_recv_ut_SOURCES = test/unit/lib/nvme/nvme_tcp_recv_ut.c \
	$(UT_TCP_QPAIR_SOURCES)
test_unit_lib_nvme_nvme_tcp_recv_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/nvme
test_unit_lib_nvme_nvme_tcp_recv_ut_LDADD = $(NVME_UT_LIBS)
test_unit_lib_nvme_nvme_tcp_recv_ut_LDFLAGS = $(AM_LDFLAGS) $(UT_TCP_QPAIR_WRAPS)
# nvme_tcp_ut: the NVMe/TCP initiator against a scripted target on loopback (ut_tcp_target.c).
UT_TCP_TARGET_SOURCES = test/unit/lib/nvme/ut_tcp_target.c test/unit/lib/nvme/ut_tcp_target.h \
	test/unit/lib/nvme/ut_tcp_target_disc.c
test_unit_lib_nvme_nvme_tcp_ut_SOURCES = test/unit/lib/nvme/nvme_tcp_ut.c $(UT_TCP_TARGET_SOURCES)
# On the clock the test moves: the admin timeout of a connection never answered, to the tick.
test_unit_lib_nvme_nvme_tcp_ut_LDADD = $(NVME_UT_TICKS_LIBS)
# nvme_discovery_ut: a discovery controller and its log, against the same scripted target.
test_unit_lib_nvme_nvme_discovery_ut_SOURCES = test/unit/lib/nvme/nvme_discovery_ut.c \
	$(UT_TCP_TARGET_SOURCES)
test_unit_lib_nvme_nvme_discovery_ut_LDADD = $(NVME_UT_LIBS)
