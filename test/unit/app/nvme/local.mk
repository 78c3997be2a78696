# usk_nvme's command line and JSON printing (app/nvme/libnvme_cli.a), without a device.
NVME_CLI_UNIT_TESTS = test/unit/app/nvme/nvme_cli_opts_ut test/unit/app/nvme/nvme_cli_json_ut
check_PROGRAMS += $(NVME_CLI_UNIT_TESTS)
UNIT_TESTS += $(NVME_CLI_UNIT_TESTS)
test_unit_app_nvme_nvme_cli_opts_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/app/nvme
test_unit_app_nvme_nvme_cli_opts_ut_LDADD = app/nvme/libnvme_cli.a $(UT_LIBS)
test_unit_app_nvme_nvme_cli_json_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/app/nvme
test_unit_app_nvme_nvme_cli_json_ut_LDADD = app/nvme/libnvme_cli.a lib/json/libusk_json.la \
	lib/util/libusk_util.la $(JANSSON_LIBS) $(UT_LIBS)
# usk_nvme read and write against the NVMe controller model.
NVME_CLI_IO_UNIT_TESTS = test/unit/app/nvme/nvme_cli_io_ut
check_PROGRAMS += $(NVME_CLI_IO_UNIT_TESTS)
UNIT_TESTS += $(NVME_CLI_IO_UNIT_TESTS)
test_unit_app_nvme_nvme_cli_io_ut_SOURCES = test/unit/app/nvme/nvme_cli_io_ut.c \
	app/nvme/nvme_cli_io.c
test_unit_app_nvme_nvme_cli_io_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/app/nvme \
	-I$(top_srcdir)/test/common/nvme_model
test_unit_app_nvme_nvme_cli_io_ut_LDADD = test/common/nvme_model/libnvme_model.a \
	lib/nvme/libusk_nvme.la lib/env/libusk_env.la lib/log/libusk_log.la \
	lib/util/libusk_util.la $(UT_LIBS)
# usk_nvme's admin commands against the NVMe controller model.
NVME_CLI_ADMIN_UNIT_TESTS = test/unit/app/nvme/nvme_cli_admin_ut
check_PROGRAMS += $(NVME_CLI_ADMIN_UNIT_TESTS)
UNIT_TESTS += $(NVME_CLI_ADMIN_UNIT_TESTS)
test_unit_app_nvme_nvme_cli_admin_ut_SOURCES = test/unit/app/nvme/nvme_cli_admin_ut.c \
	app/nvme/nvme_cli_admin.c app/nvme/nvme_cli_id.c
test_unit_app_nvme_nvme_cli_admin_ut_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/app/nvme \
	-I$(top_srcdir)/test/common/nvme_model
test_unit_app_nvme_nvme_cli_admin_ut_LDADD = app/nvme/libnvme_cli.a \
	test/common/nvme_model/libnvme_model.a lib/nvme/libusk_nvme.la lib/json/libusk_json.la \
	lib/env/libusk_env.la lib/log/libusk_log.la lib/util/libusk_util.la $(JANSSON_LIBS) \
	$(UT_LIBS)
