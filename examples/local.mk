# Example programs for embedders; built with the tree, and run in the VM lab.
check_PROGRAMS += examples/nvme/hello_world
examples_nvme_hello_world_LDADD = lib/libusk.la
examples_nvme_hello_world_LDFLAGS = $(AM_LDFLAGS) -static
# A bdev module in about 100 lines (doc/bdev.md walks through it); run as a test.
check_PROGRAMS += examples/bdev/ram_module
examples_bdev_ram_module_LDADD = lib/libusk.la
examples_bdev_ram_module_LDFLAGS = $(AM_LDFLAGS) -static
TESTS += examples/bdev/ram_module
