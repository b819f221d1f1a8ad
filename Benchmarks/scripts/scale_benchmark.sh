#!/usr/bin/env bash
# The scale run of docs/benchmarks.md ("The audit at 20,000,000 records"): the release `cost-audit audit` and the
# DuckDB SQL that `cost-audit sql --dialect duckdb` prints, on the same generated ledger and usage export, each
# timed with its peak memory, and their CSVs compared byte for byte.
#
#     bash Benchmarks/scripts/scale_benchmark.sh DIR [MEMORY_LIMIT]
#
# DIR holds ledger/*.jsonl and usage/openai-usage-page-1.json, as
# `python3 Benchmarks/scripts/generate_ledger.py --records 20000000 --out DIR` writes them (10.9 GB; 94 min here).
# MEMORY_LIMIT is DuckDB's `memory_limit` (default 12GB); it spills to DIR/duckdb-spill past it. DuckDB comes
# from the venv .ci/check-sql.sh makes (${DUCKDB_VENV:-/tmp/.venv-duckdb}).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:?usage: scale_benchmark.sh DIR [MEMORY_LIMIT]}
limit=${2:-12GB}
venv="${DUCKDB_VENV:-/tmp/.venv-duckdb}"
swift build -c release --product cost-audit > /dev/null
bin=.build/release/cost-audit
usage="$dir/usage/openai-usage-page-1.json"
out=$(mktemp -d /tmp/scale-benchmark.XXXXXX)
echo "ledger: $(ls "$dir"/ledger | wc -l) files, $(du -sh "$dir/ledger" | cut -f1); load: $(uptime | sed 's/.*load/load/')"

cat "$dir"/ledger/*.jsonl > /dev/null || true
/usr/bin/time -f "swift audit: %e s wall, %U s user, %M KB peak" \
    "$bin" audit "$dir/ledger" --usage "$usage" --quiet --format csv > "$out/swift.csv"

"$bin" sql --dialect duckdb "$dir/ledger" --usage "$usage" > "$out/audit.sql"
mkdir -p "$dir/duckdb-spill"
/usr/bin/time -f "duckdb sql: %e s wall, %U s user, %M KB peak" "$venv/bin/python" - "$out/audit.sql" \
    "$out/duckdb.csv" "$limit" "$dir/duckdb-spill" << 'PY'
import sys
import duckdb
con = duckdb.connect()
con.execute("SET threads=2")
con.execute(f"SET memory_limit='{sys.argv[3]}'")
con.execute(f"SET temp_directory='{sys.argv[4]}'")
con.execute("SET enable_progress_bar=false")
rows = con.execute(open(sys.argv[1]).read()).fetchall()
with open(sys.argv[2], "w") as f:
    f.write("section,name,usd,share,count\n")
    for row in rows:
        f.write(row[5] + "\n")
PY
echo "load at the end: $(uptime | sed 's/.*load/load/')"
if cmp -s "$out/swift.csv" "$out/duckdb.csv"; then
    echo "the two CSVs are identical ($(wc -l < "$out/swift.csv") lines; $out)"
else
    diff "$out/swift.csv" "$out/duckdb.csv" | head -20
    echo "the CSVs differ ($out)" >&2
    exit 1
fi
