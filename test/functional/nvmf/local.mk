# usk_tgt's NVMe/TCP target on the host: a small host written from the
# specifications against a malloc bdev on 127.0.0.1 (rpc_call comes from
# test/functional/tgt).
TESTS += test/functional/nvmf/nvmf-tcp-test.sh
EXTRA_DIST += test/functional/nvmf/nvmf-tcp-test.sh test/functional/nvmf/nvmf_tcp_host.py
# usk_nvme discover (USK's initiator) against usk_tgt's discovery subsystem on 127.0.0.1.
TESTS += test/functional/nvmf/nvme-discover-test.sh
EXTRA_DIST += test/functional/nvmf/nvme-discover-test.sh
# usk_tgt killed under usk_bdevperf's verify load over NVMe/TCP: the I/O
# errors without reconnect, a clean run when it comes back with it.
TESTS += test/functional/nvmf/nvmf-reconnect-test.sh
EXTRA_DIST += test/functional/nvmf/nvmf-reconnect-test.sh
# usk_nvme_perf against usk_tgt over NVMe/TCP on 127.0.0.1: a verified run,
# and bad input refused before the run with a line naming it.
TESTS += test/functional/nvmf/perf-tcp-input-test.sh
EXTRA_DIST += test/functional/nvmf/perf-tcp-input-test.sh
