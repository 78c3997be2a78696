#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Guest half of bench/nvmf-tcp-vm.sh: every pairing of usk_tgt and
# nvmet-tcp with usk_nvme_perf and the kernel's nvme-tcp (fio), by
# bench/nvmf-tcp-runs.sh.
set -u
seconds=$1 rounds=$2 qds=$3 tgt_idle=$4
ip link set lo up || { echo "cannot bring the loopback interface up"; exit 1; }
echo "USK-KERNEL $(uname -r)"
BIN=/usk/bin TGT_CORE=0 INIT_CORE=1 TGT_IDLE=$tgt_idle /usk/bin/nvmf-tcp-runs.sh "$seconds" "$rounds" "$qds" \
	"usk:usk usk:kernel kernel:usk kernel:kernel"
# The host's table names the runs that failed.
exit 0
