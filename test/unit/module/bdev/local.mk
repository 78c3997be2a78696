# The built-in bdev modules' unit tests.
BDEV_MODULE_UNIT_TESTS = test/unit/module/bdev/bdev_malloc_ut test/unit/module/bdev/bdev_null_ut \
	test/unit/module/bdev/bdev_split_ut test/unit/module/bdev/bdev_nvme_ut
if HAVE_URING
BDEV_MODULE_UNIT_TESTS += test/unit/module/bdev/bdev_uring_ut
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
test_unit_module_bdev_bdev_uring_ut_CPPFLAGS = $(test_unit_module_bdev_bdev_malloc_ut_CPPFLAGS)
test_unit_module_bdev_bdev_uring_ut_LDADD = lib/libusk.la $(UT_LIBS)
test_unit_module_bdev_bdev_uring_ut_LDFLAGS = $(AM_LDFLAGS) -static
# bdev_nvme_ut runs the module against the NVMe controller model.
test_unit_module_bdev_bdev_nvme_ut_CPPFLAGS = $(test_unit_module_bdev_bdev_malloc_ut_CPPFLAGS) \
	-I$(top_srcdir)/module/bdev/nvme -I$(top_srcdir)/test/common/nvme_model
test_unit_module_bdev_bdev_nvme_ut_LDADD = test/common/nvme_model/libnvme_model.a lib/libusk.la \
	$(UT_LIBS)
test_unit_module_bdev_bdev_nvme_ut_LDFLAGS = $(AM_LDFLAGS) -static
EXTRA_DIST += test/unit/module/bdev/ut_bdev_layer.h
