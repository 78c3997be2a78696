noinst_LTLIBRARIES += lib/util/libusk_util.la
lib_util_libusk_util_la_SOURCES = lib/util/histogram.c lib/util/ticks.c lib/util/uuid.c
