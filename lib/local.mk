# libusk: every layer is a convenience library, so unit tests link only the
# layer they test, and libusk.la gathers them all.
lib_LTLIBRARIES += lib/libusk.la
lib_libusk_la_SOURCES =
nodist_EXTRA_lib_libusk_la_SOURCES = dummy.c
lib_libusk_la_LIBADD = \
	lib/util/libusk_util.la \
	lib/log/libusk_log.la \
	$(JANSSON_LIBS) $(URING_LIBS) $(AIO_LIBS) $(NUMA_LIBS)
# Only the public prefix is exported (lib/libusk.map, and -fvisibility=hidden with
# include/usk's headers marking the API); libusk's own calls to its public
# functions bind inside the library (-Bsymbolic-functions), not through the PLT.
lib_libusk_la_LDFLAGS = -version-info $(USK_LT_VERSION) \
	-Wl,--version-script=$(srcdir)/lib/libusk.map -Wl,-Bsymbolic-functions
EXTRA_lib_libusk_la_DEPENDENCIES = lib/libusk.map
EXTRA_DIST += lib/libusk.map
