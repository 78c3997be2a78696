# lib/bdev: block devices, descriptors, channels, the I/O path with splitting.
noinst_LTLIBRARIES += lib/bdev/libusk_bdev.la
lib_bdev_libusk_bdev_la_SOURCES = lib/bdev/bdev.c lib/bdev/bdev_channel.c lib/bdev/bdev_io.c \
	lib/bdev/bdev_rpc.c lib/bdev/bdev_rpc_info.c lib/bdev/bdev_rpc_stat.c lib/bdev/bdev_qos.c lib/bdev/bdev_stat.c lib/bdev/bdev_histogram.c \
	lib/bdev/bdev_rpc_histogram.c \
	lib/bdev/bdev_internal.h lib/bdev/bdev_rpc_internal.h
lib_libusk_la_LIBADD += lib/bdev/libusk_bdev.la
usk_include_HEADERS += include/usk/bdev.h include/usk/bdev_module.h
