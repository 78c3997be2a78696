# usk_tgt with SPDK's configs and SPDK's own rpc.py (when found: $SPDK_RPC_PY):
# a config in spdk_tgt's save_config shape loads, with notices for what USK
# has no use for; one needing what USK lacks is refused naming it; what
# SPDK's client saves loads back. Include from Makefile.am beside local.mk.
TESTS += test/functional/rpc/spdk_config_test.py
EXTRA_DIST += test/functional/rpc/spdk_config_test.py
