# usk_nvme: nvme-cli's everyday commands through USK.
bin_PROGRAMS += app/nvme/usk_nvme
app_nvme_usk_nvme_SOURCES = app/nvme/usk_nvme.c app/nvme/nvme_cli.h app/nvme/nvme_cli_id.c \
	app/nvme/nvme_cli_io.c app/nvme/nvme_cli_admin.c
app_nvme_usk_nvme_LDADD = lib/libusk.la
app_nvme_usk_nvme_LDFLAGS = $(AM_LDFLAGS) -static
