#!/usr/bin/env bash
# Shows that USK's data path makes no system call: usk_nvme_perf runs in the
# VM lab under strace, and the system calls of each thread are counted over
# the run. The worker thread, which submits and reaps every I/O, should
# show a handful (thread start-up, pinning) against hundreds of thousands
# of I/Os. Figures only.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
perf=$top/build/app/nvme_perf/usk_nvme_perf
[ -x "$perf" ] || { echo "bench: build USK first (make -C build)" >&2; exit 1; }
command -v strace >/dev/null || { echo "bench: strace is missing (apt-get install strace)" >&2; exit 1; }
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<'GUEST'
#!/bin/bash
HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || exit 1
strace -f -qq -o /tmp/trace /usk/bin/usk_nvme_perf -q 32 -w randread -t "${1:-3}" --json \
	>/tmp/perf.json 2>/dev/null
ios=$(sed -n 's/.*"ios": \([0-9]*\).*/\1/p' /tmp/perf.json | tail -n 1)
echo "I/Os completed: $ios"
echo "system calls per thread (thread id: count, the three most frequent):"
awk '{ n[$1]++; c[$1 " " $2]++ } END { for (t in n) print t, n[t] }' /tmp/trace | sort -k2 -n |
while read -r tid count; do
	top=$(awk -v t="$tid" '$1 == t { sub(/\(.*/, "", $2); print $2 }' /tmp/trace |
		sort | uniq -c | sort -rn | head -n 3 | awk '{ printf "%s %s, ", $2, $1 }')
	echo "  $tid: $count (${top%, })"
done
GUEST
"$top/test/vm/vmlab.sh" --timeout 300 -c ns=256M -a "$perf" -a "$(command -v strace)" "$guest" "${1:-3}"
