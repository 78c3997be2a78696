/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme's admin commands (nvme_cli_admin.c) against the NVMe controller model. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvme_cli.h"
#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"

static struct nvme_model *g_model;
static struct nvme_cli g_cli;

static void setup(const struct nvme_model_opts *mo)
{
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(mo, &g_model), 0);
	g_cli = (struct nvme_cli){.nsid = 1};
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, &g_cli.ctrlr), 0);
}

static void teardown(void)
{
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(g_cli.ctrlr), 0);
	nvme_model_destroy(g_model);
}

/* Runs @cmd with stdout sent to a file; returns what it printed (free it) and its status. */
static char *run_captured(int (*cmd)(struct nvme_cli *), int *rc)
{
	FILE *out = tmpfile();
	int saved = dup(STDOUT_FILENO);
	char *text = calloc(1, 65536);
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	fflush(stdout);
	CU_ASSERT_NOT_EQUAL_FATAL(dup2(fileno(out), STDOUT_FILENO), -1);
	*rc = cmd(&g_cli);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(out);
	len = fread(text, 1, 65535, out);
	text[len] = '\0';
	fclose(out);
	return text;
}

/*
 * fw-log -o json writes the slots' revisions as JSON strings, escaped:
 * before, they were printed between quotes as they came, so a revision
 * holding a quote, a backslash or a control byte made invalid JSON.
 */
static void test_fw_log_json_escapes_revisions(void)
{
	struct nvme_model_opts mo;
	struct usk_json_val *doc = NULL;
	char err[128];
	char *text;
	int rc;

	nvme_model_opts_init(&mo);
	memcpy(mo.frs[0], "1.0\"x\\y", 8);
	memcpy(mo.frs[1], "a\tb\nc\x01", 6);
	memcpy(mo.frs[2], "PLAIN   ", 8);
	mo.frs[0][7] = 'z';
	setup(&mo);
	g_cli.verb = NVME_CLI_FW_LOG;
	g_cli.json = true;
	text = run_captured(nvme_cli_fw_log, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(usk_json_parse(text, strlen(text), NULL, &doc, err, sizeof(err)), 0);
	if (doc != NULL) {
		CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_object_get(doc, "frs1")),
				       "1.0\"x\\yz");
		CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_object_get(doc, "frs2")),
				       "a\tb\nc\x01");
		CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_object_get(doc, "frs3")), "PLAIN");
		CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_object_get(doc, "frs7")), "");
	}
	usk_json_val_free(doc);
	free(text);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_fw_log_json_escapes_revisions),
	};
	int rc;

	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_cli_admin", tests);
	usk_env_fini();
	return rc;
}
