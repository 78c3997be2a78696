# lib/env's PCI and VFIO half, in the same convenience library.
lib_env_libusk_env_la_SOURCES += \
	lib/env/pci.c lib/env/vfio_container.c lib/env/vfio_caps.c lib/env/vfio_device.c \
	lib/env/vfio_noiommu.c lib/env/vfio_takeover.c lib/env/vfio_internal.h
