#!/usr/bin/env bash
# Check (not run by .ci/run): on random lineage graphs (.ci/sql-lineage-graphs.py), the DuckDB SQL of
# `cost-audit sql` returns the same CSV as `cost-audit audit --format csv`, byte for byte: the pointer-jumping
# lineage against the audit's walk (cycles, missing parents, the root standing in once, the 64-hop cap).
#
#     bash .ci/sql-lineage-fuzz.sh [FIRST_SEED [LAST_SEED]]     # default 1 40
#
# Uses (and makes, when missing) the DuckDB venv of .ci/check-sql.sh (.ci/python-venv.sh). Measured 2026-12-07: seeds 1-80 all equal (about 4 s a seed).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/python-venv.sh
venv="$(python_venv duckdb)"
swift build --product cost-audit 2>&1 | tail -1
tool="$(swift build --show-bin-path)/cost-audit"
work="$(mktemp -d /tmp/sql-lineage-fuzz.XXXXXX)"
trap 'rm -rf "$work"' EXIT
failures=0
for seed in $(seq "${1:-1}" "${2:-40}"); do
    dir="$work/$seed"
    python3 .ci/sql-lineage-graphs.py "$seed" "$dir"
    "$tool" audit --format csv --quiet "$dir/ledger" > "$dir/swift.csv"
    "$tool" sql --dialect duckdb "$dir/ledger" > "$dir/audit.sql"
    "$venv/bin/python" - "$dir/audit.sql" "$dir/duckdb.csv" << 'PY'
import sys
import duckdb
con = duckdb.connect()
con.execute("SET threads=1")
rows = con.execute(open(sys.argv[1]).read()).fetchall()
with open(sys.argv[2], "w") as f:
    f.write("section,name,usd,share,count\n")
    for row in rows:
        f.write(row[5] + "\n")
PY
    if ! diff "$dir/swift.csv" "$dir/duckdb.csv" > "$dir/diff"; then
        echo "error: seed $seed: the DuckDB CSV differs (< audit, > DuckDB)"
        head -20 "$dir/diff"
        failures=$((failures + 1))
    fi
done
if [ "$failures" -ne 0 ]; then
    echo "FAIL: $failures graph(s) differ"
    exit 1
fi
echo "OK: the DuckDB SQL equals cost-audit audit on every lineage graph"
