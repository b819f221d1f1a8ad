#!/usr/bin/env python3
"""The reports benchmark's peer: DuckDB's plain GROUP BY team, project of the same JSON Lines ledger (the stored
cost_usd summed, no dedupe, no lineage, no reconciliation): the least a warehouse user would run. Prints the wall
time of the query, reading the files included.

    python3 Benchmarks/scripts/duckdb_group_by.py /tmp/audit-bench/ledger [THREADS]
"""
import sys
import time

import duckdb

ledger = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
start = time.time()
con = duckdb.connect()
con.execute(f"SET threads={threads}")
rows = con.execute(f"""
SELECT team, project, sum(cost_usd) AS usd, count(*) AS calls
FROM read_json('{ledger}/*.jsonl', format='newline_delimited', ignore_errors=true,
  columns={{team:'VARCHAR', project:'VARCHAR', cost_usd:'DECIMAL(38,18)'}})
GROUP BY team, project ORDER BY usd DESC
""").fetchall()
print(f"groups: {len(rows)}; wall {time.time() - start:.2f} s")
