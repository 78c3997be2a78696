/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include "ut.h"

int ut_run(const char *suite_name, const struct ut_test *tests, size_t count)
{
	CU_pSuite suite;
	int rc = 99;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
		return 99;
	}
	suite = CU_add_suite(suite_name, NULL, NULL);
	if (suite == NULL) {
		goto cleanup_registry;
	}
	for (size_t i = 0; i < count; i++) {
		if (CU_add_test(suite, tests[i].name, tests[i].fn) == NULL) {
			goto cleanup_registry;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS) {
		goto cleanup_registry;
	}
	/* A test that ran no assertion at all proves nothing. */
	rc = CU_get_number_of_failures() == 0 && CU_get_number_of_asserts() > 0 ? 0 : 1;

cleanup_registry:
	if (rc == 99) {
		fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
	}
	CU_cleanup_registry();
	return rc;
}
