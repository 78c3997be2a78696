# Tests of lib/env's PCI and VFIO half.
PCI_UNIT_TESTS = test/unit/lib/env/pci_ut test/unit/lib/env/vfio_caps_ut \
	test/unit/lib/env/vfio_noiommu_ut test/unit/lib/env/vfio_takeover_ut \
	test/unit/lib/env/vfio_container_ut
check_PROGRAMS += $(PCI_UNIT_TESTS)
UNIT_TESTS += $(PCI_UNIT_TESTS)
test_unit_lib_env_pci_ut_CPPFLAGS = $(ENV_UT_CPPFLAGS)
test_unit_lib_env_pci_ut_LDADD = $(ENV_UT_LIBS)
test_unit_lib_env_vfio_caps_ut_CPPFLAGS = $(ENV_UT_CPPFLAGS)
test_unit_lib_env_vfio_caps_ut_LDADD = $(ENV_UT_LIBS)
test_unit_lib_env_vfio_noiommu_ut_CPPFLAGS = $(ENV_UT_CPPFLAGS)
test_unit_lib_env_vfio_noiommu_ut_LDADD = $(ENV_UT_LIBS)
test_unit_lib_env_vfio_takeover_ut_CPPFLAGS = $(ENV_UT_CPPFLAGS)
test_unit_lib_env_vfio_takeover_ut_LDADD = $(ENV_UT_LIBS)
test_unit_lib_env_vfio_container_ut_CPPFLAGS = $(ENV_UT_CPPFLAGS)
test_unit_lib_env_vfio_container_ut_LDADD = $(ENV_UT_LIBS)
# /dev/vfio and its ioctls are faked: no VFIO is needed; nor free hugepages.
test_unit_lib_env_vfio_container_ut_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=access,--wrap=open,--wrap=close,--wrap=ioctl,--wrap=mmap
