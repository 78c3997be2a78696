# lib/env's unit tests: the memory half runs in any process, no VFIO needed.
ENV_UNIT_TESTS = test/unit/lib/env/iova_alloc_ut test/unit/lib/env/mem_map_ut \
	test/unit/lib/env/mem_register_ut test/unit/lib/env/dma_alloc_ut \
	test/unit/lib/env/env_ut test/unit/lib/env/ring_ut \
	test/unit/lib/env/pool_ut
check_PROGRAMS += $(ENV_UNIT_TESTS)
UNIT_TESTS += $(ENV_UNIT_TESTS)
ENV_UT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/env
ENV_UT_LIBS = lib/env/libusk_env.la lib/log/libusk_log.la lib/util/libusk_util.la $(UT_LIBS)
test_unit_lib_env_iova_alloc_ut_CPPFLAGS = $(ENV_UT_CPPFLAGS)
test_unit_lib_env_iova_alloc_ut_LDADD = $(ENV_UT_LIBS)
test_unit_lib_env_mem_map_ut_CPPFLAGS = $(ENV_UT_CPPFLAGS)
test_unit_lib_env_mem_map_ut_LDADD = $(ENV_UT_LIBS)
test_unit_lib_env_mem_register_ut_CPPFLAGS = $(ENV_UT_CPPFLAGS)
test_unit_lib_env_mem_register_ut_LDADD = $(ENV_UT_LIBS)
test_unit_lib_env_dma_alloc_ut_CPPFLAGS = $(ENV_UT_CPPFLAGS)
test_unit_lib_env_dma_alloc_ut_LDADD = $(ENV_UT_LIBS)
test_unit_lib_env_dma_alloc_ut_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=mmap
test_unit_lib_env_env_ut_CPPFLAGS = $(ENV_UT_CPPFLAGS)
test_unit_lib_env_env_ut_LDADD = $(ENV_UT_LIBS)
test_unit_lib_env_ring_ut_LDADD = $(ENV_UT_LIBS)
test_unit_lib_env_pool_ut_LDADD = $(ENV_UT_LIBS)
