noinst_LTLIBRARIES += lib/log/libusk_log.la
lib_log_libusk_log_la_SOURCES = lib/log/log.c
