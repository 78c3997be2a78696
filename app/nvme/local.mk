# usk_nvme: nvme-cli's everyday commands through USK. Its command line and
# JSON printing are a library, so unit tests and the fuzz target link them.
noinst_LIBRARIES += app/nvme/libnvme_cli.a
app_nvme_libnvme_cli_a_SOURCES = app/nvme/nvme_cli.h app/nvme/nvme_cli_opts.c \
	app/nvme/nvme_cli_json.c

bin_PROGRAMS += app/nvme/usk_nvme
app_nvme_usk_nvme_SOURCES = app/nvme/usk_nvme.c app/nvme/nvme_cli.h app/nvme/nvme_cli_id.c \
	app/nvme/nvme_cli_io.c app/nvme/nvme_cli_admin.c app/nvme/nvme_cli_discover.c
app_nvme_usk_nvme_LDADD = app/nvme/libnvme_cli.a lib/libusk.la $(JANSSON_LIBS)
app_nvme_usk_nvme_LDFLAGS = $(AM_LDFLAGS) -static
