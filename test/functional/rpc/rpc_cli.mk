# scripts/rpc.py's command line without usk_tgt: SPDK's spelling of every
# shared method gives SPDK's params (--dry-run), bad values and failed calls
# (a fake server) give one error line.
TESTS += test/functional/rpc/rpc_cli_test.py
EXTRA_DIST += test/functional/rpc/rpc_cli_test.py
