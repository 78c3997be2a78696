noinst_LTLIBRARIES += lib/util/libusk_util.la
lib_util_libusk_util_la_SOURCES = lib/util/histogram.c lib/util/ticks.c lib/util/uuid.c \
	lib/util/crc32c.c lib/util/crc32c_x86.c lib/util/crc32c_internal.h \
	lib/util/sock.c include/usk_internal/sock.h \
	lib/util/idle_spell.c
