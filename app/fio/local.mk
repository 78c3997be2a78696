# fio's external ioengines: usk_nvme (the NVMe driver) and usk_bdev (bdevs
# from a JSON config), shared objects that fio loads with
# ioengine=$(libdir)/usk/fio/usk_fio_nvme.so (doc/fio.md). Each carries
# libusk's objects inside and exports only 'ioengine', the symbol fio looks up.
# The filename parser needs no fio header: unit tests link it always.
noinst_LTLIBRARIES += app/fio/libusk_fio_filename.la
app_fio_libusk_fio_filename_la_SOURCES = app/fio/fio_nvme_filename.c app/fio/fio_nvme_filename.h
fiodir = $(libdir)/usk/fio
if USK_FIO
fio_LTLIBRARIES = app/fio/usk_fio_nvme.la app/fio/usk_fio_bdev.la
# fio's headers as fio's Makefile compiles them (its config, large files, its
# debug hooks), and as system headers: their warnings are not USK's.
USK_FIO_CPPFLAGS = $(AM_CPPFLAGS) -isystem $(FIO_DIR) -include $(FIO_DIR)/config-host.h \
	-D_LARGEFILE_SOURCE -D_FILE_OFFSET_BITS=64 -DFIO_INC_DEBUG \
	-DUSK_FIO_VERSION='"$(FIO_VERSION)"'
USK_FIO_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -export-symbols-regex '^ioengine$$'
app_fio_usk_fio_nvme_la_SOURCES = app/fio/fio_nvme.c app/fio/fio_nvme_ctrlr.c \
	app/fio/fio_nvme_ctrlr.h app/fio/fio_engine.c app/fio/fio_engine.h
app_fio_usk_fio_nvme_la_CPPFLAGS = $(USK_FIO_CPPFLAGS)
app_fio_usk_fio_nvme_la_LDFLAGS = $(USK_FIO_LDFLAGS)
app_fio_usk_fio_nvme_la_LIBADD = app/fio/libusk_fio_filename.la $(lib_libusk_la_LIBADD)
app_fio_usk_fio_bdev_la_SOURCES = app/fio/fio_bdev.c app/fio/fio_bdev_app.c \
	app/fio/fio_bdev_app.h app/fio/fio_engine.c app/fio/fio_engine.h
app_fio_usk_fio_bdev_la_CPPFLAGS = $(USK_FIO_CPPFLAGS)
app_fio_usk_fio_bdev_la_LDFLAGS = $(USK_FIO_LDFLAGS)
app_fio_usk_fio_bdev_la_LIBADD = $(lib_libusk_la_LIBADD)
endif
# fio loads the .so by path: libtool's .la files have no use there (harmless
# where the engines are not built).
install-data-hook: install-fio-drop-la
uninstall-hook: uninstall-fio-engines
install-fio-drop-la:
	rm -f $(DESTDIR)$(fiodir)/usk_fio_nvme.la $(DESTDIR)$(fiodir)/usk_fio_bdev.la
uninstall-fio-engines:
	rm -f $(DESTDIR)$(fiodir)/usk_fio_nvme.so $(DESTDIR)$(fiodir)/usk_fio_bdev.so
