#!/usr/bin/env bash
# The reports benchmark from the command line, on the generated 2,000,000-record ledger: in each of 5 rounds, the
# release `cost-audit audit`, `report --by team,project --period month`, `explain --feature F`, `alerts`,
# `forecast --by team` and `html` on the same inputs, then DuckDB's plain GROUP BY team, project of the same files
# (the peer, from the DuckDB venv of .ci/python-venv.sh), so all of them share the load of the moment. Prints each run's wall time and peak RSS, then the
# medians, and the size of the HTML page.
#
#     bash Benchmarks/scripts/report_benchmark.sh [DIR]      (default DIR: /tmp/audit-bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-/tmp/audit-bench}
if [ ! -d "$dir/ledger" ]; then
    python3 Benchmarks/scripts/generate_ledger.py --records 2000000 --out "$dir"
fi
swift build -c release --product cost-audit >/dev/null
# The peer: DuckDB 2.0.1 from the venv of .ci/check-sql.sh (made here when missing).
source .ci/python-venv.sh
duckdb="$(python_venv duckdb)"
bin=.build/release/cost-audit
inputs=("$dir/ledger" --usage "$dir/usage/openai-usage-page-1.json" --quiet)
first=$(ls "$dir"/ledger/*.jsonl | head -1)
feature=$(grep -m1 -o '"feature":"[^"]*"' "$first" | cut -d'"' -f4 || true)
# explain looks at the 60 days before --now: the day after the ledger's last record.
now=$(python3 -c "
import datetime, json, sys
last = max(json.loads(l)['ts'] for l in open(sys.argv[1]) if l.strip())[:10]
print(datetime.date.fromisoformat(last) + datetime.timedelta(days=1))" "$first")
echo "ledger: $(ls "$dir"/ledger | wc -l) files, $(du -sh "$dir/ledger" | cut -f1); feature: $feature; now: $now; load: $(uptime | sed 's/.*load/load/')"
out=/tmp/report-benchmark-runs.txt
: > "$out"
for i in 1 2 3 4 5; do
    # Warm the page cache before every round: idle file pages are dropped within seconds to minutes here.
    cat "$dir"/ledger/*.jsonl > /dev/null
    /usr/bin/time -f "audit %e s %M KB" "$bin" audit "${inputs[@]}" --format json > /dev/null 2>> "$out"
    /usr/bin/time -f "report %e s %M KB" "$bin" report "${inputs[@]}" --by team,project --period month \
        --format csv > /dev/null 2>> "$out"
    if "$bin" help explain > /dev/null 2>&1; then
        /usr/bin/time -f "explain %e s %M KB" "$bin" explain "${inputs[@]}" --feature "$feature" \
            --now "$now" > /dev/null 2>> "$out"
    fi
    if "$bin" help alerts > /dev/null 2>&1; then
        # alerts exits 2 when an alert fires: that is not a failure here.
        /usr/bin/time -f "alerts %e s %M KB" "$bin" alerts "${inputs[@]}" --now "$now" > /dev/null 2>> "$out" || true
        /usr/bin/time -f "forecast %e s %M KB" "$bin" forecast "${inputs[@]}" --month "${now:0:7}" --now "$now" \
            --by team > /dev/null 2>> "$out"
        /usr/bin/time -f "html %e s %M KB" "$bin" html "${inputs[@]}" --now "$now" -o /tmp/report-benchmark.html \
            > /dev/null 2>> "$out"
    fi
    /usr/bin/time -f "duckdb %e s %M KB" "$duckdb/bin/python" Benchmarks/scripts/duckdb_group_by.py "$dir/ledger" 2 \
        > /dev/null 2>> "$out"
done
cat "$out"
for what in audit report explain alerts forecast html duckdb; do
    grep "^$what " "$out" | sort -t' ' -k2 -n | awk -v w="$what" '{a[NR]=$2; m[NR]=$4} END {
        if (NR > 0) printf "median %s: %s s, peak RSS %s KB\n", w, a[int((NR+1)/2)], m[int((NR+1)/2)] }'
done
[ -f /tmp/report-benchmark.html ] && echo "html page: $(wc -c < /tmp/report-benchmark.html) bytes"
echo "load after the runs: $(uptime | sed 's/.*load/load/')"
