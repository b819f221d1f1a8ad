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
# from the venv .ci/check-sql.sh makes (.ci/python-venv.sh; made here when missing). A watchdog samples the spill
# directory every 2 s (its peak is printed) and stops DuckDB when the disk has less than MIN_FREE_GB (default 8)
# free. With SCALE_SPARK=1 it also runs the Spark script (PySpark from the venv
# .ci/check-sql-spark.sh makes; local[2], tables written as Parquet under DIR/spark-scratch) and compares
# its CSV too.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:?usage: scale_benchmark.sh DIR [MEMORY_LIMIT]}
limit=${2:-12GB}
source .ci/python-venv.sh
venv="$(python_venv duckdb)"
swift build -c release --product cost-audit > /dev/null
bin=.build/release/cost-audit
usage="$dir/usage/openai-usage-page-1.json"
out=$(mktemp -d /tmp/scale-benchmark.XXXXXX)
echo "ledger: $(ls "$dir"/ledger | wc -l) files, $(du -sh "$dir/ledger" | cut -f1); load: $(uptime | sed 's/.*load/load/')"

cat "$dir"/ledger/*.jsonl > /dev/null || true
/usr/bin/time -f "swift audit: %e s wall, %U s user, %M KB peak" \
    "$bin" audit "$dir/ledger" --usage "$usage" --quiet --format csv > "$out/swift.csv"

# watch PID NAME SPILL_DIR: samples SPILL_DIR's size until PID ends, prints its peak, and kills PID when the disk
# has less than MIN_FREE_GB free.
watch() {
    local pid=$1 name=$2 spill=$3 peak=0 size free
    while kill -0 "$pid" 2> /dev/null; do
        size=$(du -sb "$spill" 2> /dev/null | cut -f1 || echo 0)
        [ "${size:-0}" -gt "$peak" ] && peak=$size
        free=$(df --output=avail -B1G "$dir" | tail -1 | tr -d ' ')
        if [ "$free" -lt "${MIN_FREE_GB:-8}" ]; then
            echo "$name: stopped, $free GB free on the disk" >&2
            pkill -TERM -P "$pid" || true # /usr/bin/time's child, the engine
            kill "$pid" 2> /dev/null || true
        fi
        sleep 2
    done
    echo "$name: peak spill $((peak / 1048576)) MB"
}

"$bin" sql --dialect duckdb "$dir/ledger" --usage "$usage" > "$out/audit.sql"
rm -rf "$dir/duckdb-spill"
mkdir -p "$dir/duckdb-spill"
/usr/bin/time -f "duckdb sql: %e s wall, %U s user, %S s system, %M KB peak" "$venv/bin/python" - "$out/audit.sql" \
    "$out/duckdb.csv" "$limit" "$dir/duckdb-spill" << 'PY' &
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
duckdb_pid=$!
watch "$duckdb_pid" duckdb "$dir/duckdb-spill"
wait "$duckdb_pid"
rm -rf "$dir/duckdb-spill"
echo "load at the end: $(uptime | sed 's/.*load/load/')"
engines=(duckdb)

if [ "${SCALE_SPARK:-0}" = 1 ]; then
    spark_venv="$(python_venv spark)"
    rm -rf "$dir/spark-scratch"
    "$bin" sql --dialect spark "$dir/ledger" --usage "$usage" --scratch "$dir/spark-scratch" > "$out/audit-spark.sql"
    /usr/bin/time -f "spark sql: %e s wall, %U s user, %S s system, %M KB peak (the driver JVM and its executors)" \
        "$spark_venv/bin/python" - "$out/audit-spark.sql" "$out/spark.csv" << 'PY' 2> >(grep -v '^\[Stage\|WARN' >&2) &
import sys
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").appName("cost-audit-scale")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
         .config("spark.driver.memory", "8g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
statements = []
for text in open(sys.argv[1]).read().split(";\n\n"):
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--")).strip()
    if body:
        statements.append(body)
for number, statement in enumerate(statements):
    frame = spark.sql(statement)
    if number == len(statements) - 1:
        rows = frame.collect()
with open(sys.argv[2], "w") as out:
    out.write("section,name,usd,share,count\n")
    for row in rows:
        out.write(row[5] + "\n")
PY
    spark_pid=$!
    watch "$spark_pid" spark "$dir/spark-scratch"
    wait "$spark_pid"
    rm -rf "$dir/spark-scratch"
    echo "load at the end: $(uptime | sed 's/.*load/load/')"
    engines+=(spark)
fi

status=0
for engine in "${engines[@]}"; do
    if cmp -s "$out/swift.csv" "$out/$engine.csv"; then
        echo "$engine: the CSV is identical to the Swift audit's ($(wc -l < "$out/swift.csv") lines; $out)"
    else
        diff "$out/swift.csv" "$out/$engine.csv" | head -20
        echo "$engine: the CSVs differ ($out)" >&2
        status=1
    fi
done
exit "$status"
