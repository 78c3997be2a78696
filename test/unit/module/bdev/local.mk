# The built-in bdev modules' unit tests.
BDEV_MODULE_UNIT_TESTS = test/unit/module/bdev/bdev_malloc_ut test/unit/module/bdev/bdev_null_ut \
	test/unit/module/bdev/bdev_split_ut test/unit/module/bdev/bdev_nvme_ut \
	test/unit/module/bdev/bdev_nvme_io_ut test/unit/module/bdev/bdev_nvme_rpc_ut \
	test/unit/module/bdev/bdev_nvme_options_ut test/unit/module/bdev/bdev_modules_rpc_ut
if HAVE_URING
BDEV_MODULE_UNIT_TESTS += test/unit/module/bdev/bdev_uring_ut
endif
if HAVE_AIO
BDEV_MODULE_UNIT_TESTS += test/unit/module/bdev/bdev_aio_ut test/unit/module/bdev/bdev_aio_ring_ut
endif
check_PROGRAMS += $(BDEV_MODULE_UNIT_TESTS)
UNIT_TESTS += $(BDEV_MODULE_UNIT_TESTS)
test_unit_module_bdev_bdev_malloc_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/bdev \
	-I$(top_srcdir)/module/bdev
test_unit_module_bdev_bdev_malloc_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_module_bdev_bdev_malloc_ut_LDFLAGS = $(AM_LDFLAGS) -static
test_unit_module_bdev_bdev_null_ut_CPPFLAGS = $(test_unit_module_bdev_bdev_malloc_ut_CPPFLAGS)
test_unit_module_bdev_bdev_null_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_module_bdev_bdev_null_ut_LDFLAGS = $(AM_LDFLAGS) -static
test_unit_module_bdev_bdev_split_ut_CPPFLAGS = $(test_unit_module_bdev_bdev_malloc_ut_CPPFLAGS)
test_unit_module_bdev_bdev_split_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_module_bdev_bdev_split_ut_LDFLAGS = $(AM_LDFLAGS) -static
# The file bdevs' tests count sched_yield() (ut_sched_yield.c) and choose the
# direct I/O alignment statx() reports (ut_statx.c).
UT_BDEV_FILE_WRAPS = test/unit/module/bdev/ut_sched_yield.c \
	test/unit/module/bdev/ut_sched_yield.h test/unit/module/bdev/ut_statx.c \
	test/unit/module/bdev/ut_statx.h
test_unit_module_bdev_bdev_uring_ut_SOURCES = test/unit/module/bdev/bdev_uring_ut.c \
	$(UT_BDEV_FILE_WRAPS)
test_unit_module_bdev_bdev_uring_ut_CPPFLAGS = $(test_unit_module_bdev_bdev_malloc_ut_CPPFLAGS)
test_unit_module_bdev_bdev_uring_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_module_bdev_bdev_uring_ut_LDFLAGS = $(AM_LDFLAGS) -static -Wl,--wrap=sched_yield \
	-Wl,--wrap=io_uring_queue_init -Wl,--wrap=io_uring_submit -Wl,--wrap=statx
# The aio tests define io_getevents (ut_aio_getevents.c), to count the
# module's calls: the static libusk binds to theirs.
test_unit_module_bdev_bdev_aio_ut_SOURCES = test/unit/module/bdev/bdev_aio_ut.c \
	test/unit/module/bdev/ut_aio_getevents.c test/unit/module/bdev/ut_aio_getevents.h \
	$(UT_BDEV_FILE_WRAPS)
test_unit_module_bdev_bdev_aio_ut_CPPFLAGS = $(test_unit_module_bdev_bdev_malloc_ut_CPPFLAGS)
test_unit_module_bdev_bdev_aio_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_module_bdev_bdev_aio_ut_LDFLAGS = $(AM_LDFLAGS) -static -Wl,--wrap=sched_yield \
	-Wl,--wrap=io_submit -Wl,--wrap=statx
test_unit_module_bdev_bdev_aio_ring_ut_SOURCES = test/unit/module/bdev/bdev_aio_ring_ut.c \
	test/unit/module/bdev/ut_aio_getevents.c module/bdev/aio/bdev_aio_ring.c
test_unit_module_bdev_bdev_aio_ring_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/module/bdev/aio
test_unit_module_bdev_bdev_aio_ring_ut_LDADD = $(AIO_LIBS) $(UT_LIBS)
# The nvme module's tests, one a source of module/bdev/nvme, run it against the
# NVMe controller model; ut_bdev_nvme.c is their shared set-up.
BDEV_NVME_UT_CPPFLAGS = $(test_unit_module_bdev_bdev_malloc_ut_CPPFLAGS) \
	-I$(top_srcdir)/module/bdev/nvme -I$(top_srcdir)/test/common/nvme_model
BDEV_NVME_UT_SETUP = test/unit/module/bdev/ut_bdev_nvme.c test/unit/module/bdev/ut_bdev_nvme.h
BDEV_NVME_UT_LIBS = test/common/nvme_model/libnvme_model.a lib/libusk.la $(UT_LIBS)
test_unit_module_bdev_bdev_nvme_ut_SOURCES = test/unit/module/bdev/bdev_nvme_ut.c \
	$(BDEV_NVME_UT_SETUP)
test_unit_module_bdev_bdev_nvme_ut_CPPFLAGS = $(BDEV_NVME_UT_CPPFLAGS)
test_unit_module_bdev_bdev_nvme_ut_LDADD = $(BDEV_NVME_UT_LIBS)
test_unit_module_bdev_bdev_nvme_ut_LDFLAGS = $(AM_LDFLAGS) -static
test_unit_module_bdev_bdev_nvme_io_ut_SOURCES = test/unit/module/bdev/bdev_nvme_io_ut.c \
	$(BDEV_NVME_UT_SETUP)
test_unit_module_bdev_bdev_nvme_io_ut_CPPFLAGS = $(BDEV_NVME_UT_CPPFLAGS)
test_unit_module_bdev_bdev_nvme_io_ut_LDADD = $(BDEV_NVME_UT_LIBS)
test_unit_module_bdev_bdev_nvme_io_ut_LDFLAGS = $(AM_LDFLAGS) -static
# bdev_nvme_rpc_ut includes lib/rpc/rpc_request.c and answers on the fake
# connection of test/common/ut_rpc_conn.h in place of the socket server, so it
# links the libraries one by one, without lib/rpc, lib/event and libusk, which
# hold them: lib/event's app.c, reached by the module's one call into it
# (usk_app_is_stopping), would bring the server (rpc_server.c), and with it a
# second definition of the connection functions. The test stands in for that
# call, and for lib/env's VFIO attach, so the attach RPC reaches the model.
test_unit_module_bdev_bdev_nvme_rpc_ut_SOURCES = test/unit/module/bdev/bdev_nvme_rpc_ut.c \
	$(BDEV_NVME_UT_SETUP)
test_unit_module_bdev_bdev_nvme_rpc_ut_CPPFLAGS = $(BDEV_NVME_UT_CPPFLAGS)
test_unit_module_bdev_bdev_nvme_rpc_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_module_bdev_bdev_nvme_rpc_ut_LDADD = test/common/nvme_model/libnvme_model.a \
	module/bdev/libusk_bdev_modules.la lib/bdev/libusk_bdev.la lib/nvme/libusk_nvme.la \
	lib/thread/libusk_thread.la lib/env/libusk_env.la lib/json/libusk_json.la \
	lib/log/libusk_log.la lib/util/libusk_util.la $(JANSSON_LIBS) $(URING_LIBS) $(AIO_LIBS) \
	$(NUMA_LIBS) $(UT_LIBS)
EXTRA_test_unit_module_bdev_bdev_nvme_rpc_ut_DEPENDENCIES = lib/rpc/rpc_request.c
# Refuses a poller by name on demand, as a short memory would.
test_unit_module_bdev_bdev_nvme_rpc_ut_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=usk_poller_register
# bdev_modules_rpc_ut includes lib/rpc/rpc_request.c too, and links the same way.
test_unit_module_bdev_bdev_modules_rpc_ut_CPPFLAGS = $(test_unit_module_bdev_bdev_malloc_ut_CPPFLAGS)
test_unit_module_bdev_bdev_modules_rpc_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_module_bdev_bdev_modules_rpc_ut_LDADD = module/bdev/libusk_bdev_modules.la \
	lib/bdev/libusk_bdev.la lib/nvme/libusk_nvme.la lib/thread/libusk_thread.la \
	lib/env/libusk_env.la lib/json/libusk_json.la lib/log/libusk_log.la \
	lib/util/libusk_util.la $(JANSSON_LIBS) $(URING_LIBS) $(AIO_LIBS) $(NUMA_LIBS) $(UT_LIBS)
EXTRA_test_unit_module_bdev_bdev_modules_rpc_ut_DEPENDENCIES = lib/rpc/rpc_request.c
# bdev_nvme_options_ut too.
test_unit_module_bdev_bdev_nvme_options_ut_CPPFLAGS = $(BDEV_NVME_UT_CPPFLAGS)
test_unit_module_bdev_bdev_nvme_options_ut_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_unit_module_bdev_bdev_nvme_options_ut_LDADD = \
	$(test_unit_module_bdev_bdev_modules_rpc_ut_LDADD)
EXTRA_test_unit_module_bdev_bdev_nvme_options_ut_DEPENDENCIES = lib/rpc/rpc_request.c
EXTRA_DIST += test/unit/module/bdev/ut_bdev_layer.h test/unit/module/bdev/ut_bdev_file.h
