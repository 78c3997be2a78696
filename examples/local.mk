# Example programs for embedders; built with the tree, and run in the VM lab.
check_PROGRAMS += examples/nvme/hello_world
examples_nvme_hello_world_LDADD = lib/libusk.la
examples_nvme_hello_world_LDFLAGS = $(AM_LDFLAGS) -static
