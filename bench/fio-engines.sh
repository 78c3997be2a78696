#!/usr/bin/env bash
# Benchmark: USK's fio engines against USK's own tools. In one boot of the
# VM lab, 4 KiB random reads at queue depth 1 and 32 on one core: fio with
# io_uring on the kernel's nvme driver, usk_nvme_perf, fio with usk_nvme.
# On the host: fio with usk_bdev against usk_bdevperf on a null bdev, one
# core, fio's own null engine beside them, and what fio and the engine add
# per I/O in ns. Prints tables; not a test: figures only.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-8}
builddir=${BUILDDIR:-$top/build}
case "$seconds" in -h | --help)
	echo "Usage: [BUILDDIR=DIR] bench/fio-engines.sh [SECONDS_PER_RUN]   (default 8;" \
		"DIR default build/, built with the fio engines; an optimised build for figures)"
	exit 0 ;;
esac
perf=$builddir/app/nvme_perf/usk_nvme_perf
bdevperf=$builddir/app/bdevperf/usk_bdevperf
nvme_engine=$builddir/app/fio/.libs/usk_fio_nvme.so
bdev_engine=$builddir/app/fio/.libs/usk_fio_bdev.so
for f in "$perf" "$bdevperf" "$nvme_engine" "$bdev_engine"; do
	[ -e "$f" ] || { echo "bench: $f is missing: build USK with the fio engines first" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "bench: $(date -u +%Y-%m-%d), QEMU $(qemu-system-x86_64 --version | awk 'NR==1 {print $4}') TCG," \
	"2 vCPUs, one emulated SSD (1 GiB), ${seconds} s per run, one core"
"$top/test/vm/vmlab.sh" --timeout 900 -m 1536 --hugepages 256 -c ns=1G -a "$perf" \
	-a "$(command -v fio)" -a "$nvme_engine=/usk/lib/usk_fio_nvme.so" \
	"$top/bench/guest-fio-engines.sh" "$seconds" >"$work/guest.out"
python3 - "$work/guest.out" <<'PY'
import json, re, sys

runs, cur, buf = {}, None, []
def flush():
    if cur is None:
        return
    text = "".join(buf)
    d = json.loads(text[text.index("{"):text.rindex("}") + 1])
    iops = d["jobs"][0]["read"]["iops"] if "jobs" in d else d["total"]["iops"]
    runs[cur] = iops
clocksource = None
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("USK-FIO-CLOCKSOURCE "):
        clocksource = line.split()[1]
        continue
    m = re.match(r"USK-FIO (\S+)(?: (\d+))?$", line.strip())
    if m:
        flush()
        cur, buf = (m.group(1), m.group(2)) if m.group(2) else None, []
        continue
    if cur is not None:
        buf.append(line)
print(f"{'4 KiB randread':<16}{'fio io_uring':>14}{'usk_nvme_perf':>15}{'fio usk_nvme':>14}{'/ perf':>8}"
      f"{'fio usk_nvme lean':>19}{'/ perf':>8}")
for qd in ("1", "32"):
    k, p, f, l = (runs.get((t, qd), 0) for t in
                  ("fio-io_uring", "usk_nvme_perf", "fio-usk_nvme", "fio-usk_nvme-lean"))
    print(f"{'qd ' + qd:<16}{k:>14.0f}{p:>15.0f}{f:>14.0f}{(f / p if p else 0):>7.2f}x"
          f"{l:>19.0f}{(l / p if p else 0):>7.2f}x")
print("lean: fio with gtod_reduce=1 clocksource=cpu; the guest's clocksource:",
      clocksource or "unknown")
PY

# The host: a null bdev, one core, queue depth 32.
cat >"$work/null.json" <<'JSON'
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_null_create", "params": {"name": "Null0", "num_blocks": 2097152, "block_size": 512}}]}]}
JSON
core=$(python3 -c 'import os; print(sorted(os.sched_getaffinity(0))[-1])')
bp=$("$bdevperf" -m "[$core]" --json "$work/null.json" -q 32 -o 4096 -w randread -t "$seconds" \
	--json-output 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"]["iops"])')
fi=$(fio --name=n --thread=1 --ioengine="$bdev_engine" --usk_json_conf="$work/null.json" \
	--usk_cpumask="[$core]" --filename=Null0 --rw=randread --bs=4k --iodepth=32 \
	--runtime="$seconds" --time_based --cpus_allowed="$core" --output-format=json 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["read"]["iops"])')
# fio's own floor: its null engine, which does no I/O, with the same job.
fn=$(fio --name=n --thread=1 --ioengine=null --size=1g --rw=randread --bs=4k --iodepth=32 \
	--runtime="$seconds" --time_based --cpus_allowed="$core" --output-format=json 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["read"]["iops"])')
python3 - "$bp" "$fi" "$fn" <<'PY'
import sys
bp, fi, fn = (float(a) for a in sys.argv[1:4])
print(f"{'null bdev, 4 KiB randread qd 32':<34}{'IOPS':>12}{'ns per I/O':>12}")
print(f"{'usk_bdevperf':<34}{bp:>12.0f}{1e9 / bp:>12.0f}")
print(f"{'fio usk_bdev':<34}{fi:>12.0f}{1e9 / fi:>12.0f}")
print(f"{'fio null engine (no I/O)':<34}{fn:>12.0f}{1e9 / fn:>12.0f}")
print(f"{'fio usk_bdev over usk_bdevperf':<34}{'':>12}{1e9 / fi - 1e9 / bp:>12.0f}")
print(f"{'fio usk_bdev over fio null':<34}{'':>12}{1e9 / fi - 1e9 / fn:>12.0f}")
PY
