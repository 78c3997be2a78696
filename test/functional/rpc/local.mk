# usk_tgt's RPC server from the outside, on the host: every built-in method
# through scripts/rpc.py, malformed and oversized requests, 50 clients.
TESTS += test/functional/rpc/rpc_test.py
EXTRA_DIST += test/functional/rpc/rpc_test.py
# The same server against hostile local clients: an empty socket path,
# garbage and NUL bytes, pipelined requests, clients that hold connections.
TESTS += test/functional/rpc/rpc_hostile_test.py
EXTRA_DIST += test/functional/rpc/rpc_hostile_test.py
