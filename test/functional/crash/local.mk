# Crash isolation: kill -9 a writer at random moments and restart it at
# once; no acknowledged-and-flushed write may be lost (doc/reliability.md).
check_PROGRAMS += examples/nvme/crash_writer test/functional/crash/crash_check
examples_nvme_crash_writer_SOURCES = examples/nvme/crash_writer.c examples/nvme/crash_block.h
examples_nvme_crash_writer_LDADD = lib/libusk.la
examples_nvme_crash_writer_LDFLAGS = $(AM_LDFLAGS) -static
test_functional_crash_crash_check_SOURCES = test/functional/crash/crash_check.c
test_functional_crash_crash_check_LDFLAGS = $(AM_LDFLAGS) -static
CRASH_VM_TESTS = test/functional/crash/crash-test.sh
VM_TESTS += $(CRASH_VM_TESTS)
EXTRA_DIST += $(CRASH_VM_TESTS) test/functional/crash/crash.sh doc/reliability.md
