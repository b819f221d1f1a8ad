#!/usr/bin/env bash
# Check (documented, not run by .ci/run): the SQL that `cost-audit sql --dialect spark` prints, run by Spark
# in local mode, returns the same CSV as `cost-audit audit --format csv` (docs/scale.md).
#
# It creates (once) a virtual environment with PySpark 4.x from PyPI (.ci/python-venv.sh: under ~/.cache/swift-cost-attribution, or ${SPARK_VENV}; about
# 400 MB; Spark needs Java 17 on PATH), builds the tool, and compares the two CSVs on the demo and, unless
# SQL_SPARK_DEMO_ONLY=1, on the fault workload of .ci/check-sql.sh; and the demo's monthly spend report
# (`sql --report --by team,project --period month`) with `report --format csv` (49-53 s alone, quiet,
# 2026-12-07 09:53 and 10:04 UTC). Each statement of the script is given
# to `spark.sql` in turn (they are separated by `;` and a blank line). The `skipped_line` rows are compared
# by location, as in .ci/check-sql.sh.
#
# Each table of the script is written as Parquet under $work/spark-scratch (`cost-audit sql --scratch`).
#
# Measured on main 01e631a, 2026-12-07 10:13-10:16 UTC, nothing else running: the whole check passes in 2 min 51 s
# (the demo 55 s, its monthly report about 50 s, the fault workload 56 s), every CSV equal byte for byte.
# Earlier, 2026-12-07 (PySpark 4.3.0, local[2], Java 17), with other helpers' builds and a DuckDB benchmark
# on the 2 cores (load average 10-16): the demo equal byte for byte, 514 s of Spark (and again, on the final
# script, 688 s at load 12-20). The fault workload: equal byte for byte on the final script, 328 s at load
# 5-12 (an earlier run, 526 s, differed on one line naming a key twice: Spark skipped it, the audit counts it
# invalid; fixed). The time is Spark's planning and job start-up on about
# 110 statements, not the rows. Creating the venv (pip install pyspark, about 400 MB) took about 3 minutes
# under load.
set -euo pipefail
cd "$(dirname "$0")/.."

source .ci/python-venv.sh
venv="$(python_venv spark)"

echo "== build cost-audit"
swift build --product cost-audit 2>&1 | tail -1
tool="$(swift build --show-bin-path)/cost-audit"

work="$(mktemp -d /tmp/check-sql-spark.XXXXXX)"
trap 'rm -rf "$work"' EXIT

run_spark() { # script.sql out.csv: the header (the script's `-- CSV header:` line, else the audit's), then the
    # CSV line (the last column) of each row
    "$venv/bin/python" - "$1" "$2" << 'PYTHON' 2> "$work/spark.log" || { tail -20 "$work/spark.log"; return 1; }
import sys
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").appName("cost-audit-sql")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.memory", "2g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
script = open(sys.argv[1]).read()
prefix = "-- CSV header: "
header = next((line[len(prefix):] for line in script.splitlines() if line.startswith(prefix)),
              "section,name,usd,share,count")
statements = []
for text in script.split(";\n\n"):
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--")).strip().rstrip(";")
    if body:
        statements.append(body)
rows = None
for number, statement in enumerate(statements):
    frame = spark.sql(statement)
    if number == len(statements) - 1:
        rows = frame.collect()
with open(sys.argv[2], "w") as out:
    out.write(header + "\n")
    for row in rows:
        out.write(row[-1] + "\n")
PYTHON
}

source .ci/sql-compare.sh
sql_options=(--scratch "$work/spark-scratch")
failures=0
compare() { # name, audit arguments...
    compare_sql spark Spark run_spark "$@" || failures=$((failures + 1))
}

"$tool" demo "$work/demo" --quiet > /dev/null
(cd "$work/demo" && compare_sql spark Spark run_spark demo --config cost-audit.json) || failures=$((failures + 1))
# The spend report's script (`sql --report`): the monthly report by team and project of the demo.
(cd "$work/demo" && compare_report spark Spark run_spark demo-report "--by team,project --period month" \
    --config cost-audit.json) || failures=$((failures + 1))

if [ "${SQL_SPARK_DEMO_ONLY:-0}" != 1 ]; then
    python3 Benchmarks/scripts/generate_ledger.py --records 30000 --files 3 --seed 7 --out "$work/faults" > /dev/null
    python3 .ci/sql-faults.py "$work/faults" > /dev/null
    usage=()
    for file in "$work"/faults/usage/*.json; do usage+=(--usage "$file"); done
    compare faults "$work/faults/ledger" "${usage[@]}" --rules "$work/faults/rules.json" \
        --keys "$work/faults/keys.json"
fi

if [ "$failures" -ne 0 ]; then
    echo "FAIL: $failures workload(s) differ"
    exit 1
fi
echo "OK: the Spark SQL equals cost-audit audit --format csv (and the report's, report --format csv) on every workload"
