# The usk_nvme fio engine's filename parser (SPDK's plugin's spelling).
FIO_UNIT_TESTS = test/unit/app/fio/fio_nvme_filename_ut
check_PROGRAMS += $(FIO_UNIT_TESTS)
UNIT_TESTS += $(FIO_UNIT_TESTS)
test_unit_app_fio_fio_nvme_filename_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/app/fio
test_unit_app_fio_fio_nvme_filename_ut_LDADD = app/fio/libusk_fio_filename.la lib/libusk.la \
	$(UT_LIBS)
