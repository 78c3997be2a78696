# lib/env: DMA memory, IOVAs and their translation, PCI and VFIO.
noinst_LTLIBRARIES += lib/env/libusk_env.la
lib_env_libusk_env_la_SOURCES = \
	lib/env/env.c lib/env/env_internal.h \
	lib/env/iova_alloc.c lib/env/mem_map.c lib/env/mem_register.c lib/env/dma_alloc.c \
	lib/env/ring.c lib/env/pool.c
lib_env_libusk_env_la_LIBADD = $(NUMA_LIBS)
lib_libusk_la_LIBADD += lib/env/libusk_env.la
usk_include_HEADERS += include/usk/env.h include/usk/ring.h include/usk/pool.h
noinst_HEADERS = include/usk_internal/env.h
