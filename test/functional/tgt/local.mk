# usk_tgt with nvme bdevs in the VM lab, driven by a small RPC client (the
# guest has no Python for scripts/rpc.py); and on the host, an idle usk_tgt's
# CPU time.
check_PROGRAMS += test/functional/tgt/rpc_call
test_functional_tgt_rpc_call_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_functional_tgt_rpc_call_LDADD = $(JANSSON_LIBS)
TESTS += test/functional/tgt/tgt-idle-test.sh
TGT_VM_TESTS = test/functional/tgt/tgt-nvme-test.sh test/functional/tgt/tgt-idle-nvme-test.sh
VM_TESTS += $(TGT_VM_TESTS)
EXTRA_DIST += test/functional/tgt/tgt-idle-test.sh $(TGT_VM_TESTS) test/functional/tgt/tgt-nvme.sh \
	test/functional/tgt/tgt-idle-nvme.sh
