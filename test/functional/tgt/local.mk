# usk_tgt with nvme bdevs in the VM lab, driven by a small RPC client (the
# guest has no Python for scripts/rpc.py).
check_PROGRAMS += test/functional/tgt/rpc_call
test_functional_tgt_rpc_call_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
test_functional_tgt_rpc_call_LDADD = $(JANSSON_LIBS)
TGT_VM_TESTS = test/functional/tgt/tgt-nvme-test.sh
VM_TESTS += $(TGT_VM_TESTS)
EXTRA_DIST += $(TGT_VM_TESTS) test/functional/tgt/tgt-nvme.sh
