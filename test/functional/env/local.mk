# lib/env on a real (emulated) device, in the VM lab.
check_PROGRAMS += test/functional/env/env_identify test/functional/env/env_attach
test_functional_env_env_identify_LDADD = lib/libusk.la
test_functional_env_env_identify_LDFLAGS = $(AM_LDFLAGS) -static
test_functional_env_env_attach_LDADD = lib/libusk.la
test_functional_env_env_attach_LDFLAGS = $(AM_LDFLAGS) -static
ENV_VM_TESTS = test/functional/env/env-identify-test.sh test/functional/env/env-errors-test.sh \
	test/functional/env/env-group-test.sh test/functional/env/env-noiommu-test.sh
VM_TESTS += $(ENV_VM_TESTS)
EXTRA_DIST += $(ENV_VM_TESTS) test/functional/env/env-identify.sh test/functional/env/env-errors.sh \
	test/functional/env/env-group.sh test/functional/env/env-noiommu.sh
