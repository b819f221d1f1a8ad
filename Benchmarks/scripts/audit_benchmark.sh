#!/usr/bin/env bash
# The audit benchmark from the command line: the release `cost-audit audit` on the generated 2,000,000-record
# ledger, 5 runs with a warm page cache (median wall, peak RSS), then DuckDB's SQL peer on the same files.
#
#     bash Benchmarks/scripts/audit_benchmark.sh [DIR]      (default DIR: /tmp/audit-bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-/tmp/audit-bench}
if [ ! -d "$dir/ledger" ]; then
    python3 Benchmarks/scripts/generate_ledger.py --records 2000000 --out "$dir"
fi
swift build -c release --product cost-audit >/dev/null
echo "ledger: $(ls "$dir"/ledger | wc -l) files, $(du -sh "$dir/ledger" | cut -f1); load: $(uptime | sed 's/.*load/load/')"
for i in 1 2 3 4 5; do
    # Warm the page cache before every run: this machine's memory manager drops idle file pages within
    # seconds to minutes.
    cat "$dir"/ledger/*.jsonl > /dev/null
    /usr/bin/time -f "run $i: wall %e s, cpu %U+%S s, max RSS %M KB" \
        .build/release/cost-audit audit "$dir/ledger" --usage "$dir/usage/openai-usage-page-1.json" \
        --format json --quiet > /tmp/audit-benchmark-report.json
done 2>&1 | tee /tmp/audit-benchmark-runs.txt
sort -t' ' -k4 -n /tmp/audit-benchmark-runs.txt | sed -n 3p | sed 's/^/median: /'
echo "load after the runs: $(uptime | sed 's/.*load/load/')"
# The peer: DuckDB 2.0.1 from the venv of .ci/check-sql.sh (made here when missing).
source .ci/python-venv.sh
duckdb="$(python_venv duckdb)"
/usr/bin/time -f "duckdb: wall %e s, cpu %U+%S s, max RSS %M KB" \
    "$duckdb/bin/python" Benchmarks/scripts/duckdb_audit.py "$dir/ledger" 2 | tail -1
