# lib/json: JSON parsing, decoding and writing over jansson.
noinst_LTLIBRARIES += lib/json/libusk_json.la
lib_json_libusk_json_la_SOURCES = lib/json/json_parse.c lib/json/json_decode.c \
	lib/json/json_write.c
lib_json_libusk_json_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
lib_json_libusk_json_la_LIBADD = $(JANSSON_LIBS)
lib_libusk_la_LIBADD += lib/json/libusk_json.la
usk_include_HEADERS += include/usk/json.h
noinst_HEADERS += include/usk_internal/json.h include/usk_internal/counter.h \
	include/usk_internal/utf8.h
