#!/usr/bin/env bash
# The driver's cost per I/O (bench/nvme_overhead) in the VM lab, with shadow
# and with MMIO doorbells. Figures only.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tool=$top/build/bench/nvme_overhead
[ -x "$tool" ] || { echo "bench: build USK first (make -C build)" >&2; exit 1; }
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<'GUEST'
#!/bin/bash
HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || exit 1
/usk/bin/nvme_overhead "${1:-3}" && /usk/bin/nvme_overhead "${1:-3}" mmio
GUEST
"$top/test/vm/vmlab.sh" --timeout 300 -c ns=256M -a "$tool" "$guest" "${1:-3}"
