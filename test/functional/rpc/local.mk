# usk_tgt's RPC server from the outside, on the host: every built-in method
# through scripts/rpc.py, malformed and oversized requests, 50 clients.
TESTS += test/functional/rpc/rpc_test.py
EXTRA_DIST += test/functional/rpc/rpc_test.py
# scripts/rpc.py's command line without usk_tgt: SPDK's spelling of every
# shared method gives SPDK's params (--dry-run), bad values and failed calls
# (a fake server) give one error line.
TESTS += test/functional/rpc/rpc_cli_test.py
EXTRA_DIST += test/functional/rpc/rpc_cli_test.py
# usk_tgt with SPDK's configs and SPDK's own rpc.py (when found: $SPDK_RPC_PY):
# a config in spdk_tgt's save_config shape loads, with notices for what USK
# has no use for; one needing what USK lacks is refused naming it; what
# SPDK's client saves loads back.
TESTS += test/functional/rpc/spdk_config_test.py
EXTRA_DIST += test/functional/rpc/spdk_config_test.py
# The same server against hostile local clients: an empty socket path,
# garbage and NUL bytes, pipelined requests, clients that hold connections.
TESTS += test/functional/rpc/rpc_hostile_test.py
EXTRA_DIST += test/functional/rpc/rpc_hostile_test.py
# SPDK's clients against usk_tgt: every shared method with every parameter
# SPDK's rpc.py can send, SPDK's answer fields, refusals by name, and an
# SPDK-saved bdev config loaded by usk_tgt and usk_bdevperf.
TESTS += test/functional/rpc/spdk_compat_test.py
EXTRA_DIST += test/functional/rpc/spdk_compat_test.py
