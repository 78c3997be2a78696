#!/bin/sh
# Host side of perf-run.sh: boots a controller with two namespaces, then
# checks that the --json document parses and adds up.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$top_srcdir/test/vm/vmlab.sh" --timeout 400 -c ns=256M,ns=128M:4096 \
	-a "$top_builddir/app/nvme_perf/usk_nvme_perf" \
	"$top_srcdir/test/functional/perf/perf-run.sh" >"$out"
rc=$?
cat "$out"
[ $rc -eq 0 ] || exit 1
sed -n '/^USK-JSON-BEGIN$/,/^USK-JSON-END$/p' "$out" | sed '1d;$d' | python3 -c '
import json, sys
doc = json.load(sys.stdin)
rows = doc["results"]
assert len(rows) == 2, rows
assert all(r["iops"] > 0 and r["errors"] == 0 for r in rows), rows
total = doc["total"]
assert abs(sum(r["iops"] for r in rows) - total["iops"]) < 1e-6 * total["iops"] + 1e-9
assert "99.9" in rows[0]["latency_us"]["percentiles"]
assert doc["workload"]["queue_depth"] == 4
print("json ok: %.0f IOPS in %d rows" % (total["iops"], len(rows)))
'
