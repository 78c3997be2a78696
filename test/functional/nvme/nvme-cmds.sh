#!/bin/bash
# Guest: write zeroes, deallocate, compare, flush, vectored I/O, a reset
# with I/O in flight and a SMART asynchronous event through USK.
set -u
. /usk/tests/lib.sh

HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
/usk/bin/nvme_cmds || fail "nvme_cmds failed"
echo "PASS: write zeroes, deallocate, compare, flush, readv/writev, reset, async event"
