# module/bdev: the built-in bdev modules and the bdev subsystem of the app framework.
noinst_LTLIBRARIES += module/bdev/libusk_bdev_modules.la
module_bdev_libusk_bdev_modules_la_SOURCES = module/bdev/bdev_modules.c module/bdev/bdev_file.c \
	module/bdev/bdev_modules.h module/bdev/bdev_subsystem.c \
	module/bdev/null/bdev_null.c module/bdev/malloc/bdev_malloc.c \
	module/bdev/split/bdev_split.c module/bdev/nvme/bdev_nvme.c \
	module/bdev/nvme/bdev_nvme_io.c module/bdev/nvme/bdev_nvme_rpc.c \
	module/bdev/nvme/bdev_nvme_options.c module/bdev/nvme/bdev_nvme_ns.c \
	module/bdev/nvme/bdev_nvme.h
module_bdev_libusk_bdev_modules_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/bdev \
	-I$(top_srcdir)/module/bdev
lib_libusk_la_LIBADD += module/bdev/libusk_bdev_modules.la
if HAVE_URING
module_bdev_libusk_bdev_modules_la_SOURCES += module/bdev/uring/bdev_uring.c
module_bdev_libusk_bdev_modules_la_CFLAGS = $(AM_CFLAGS) $(URING_CFLAGS)
endif
if HAVE_AIO
module_bdev_libusk_bdev_modules_la_SOURCES += module/bdev/aio/bdev_aio.c \
	module/bdev/aio/bdev_aio_ring.c module/bdev/aio/bdev_aio_ring.h
endif
