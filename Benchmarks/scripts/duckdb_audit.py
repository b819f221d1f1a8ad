#!/usr/bin/env python3
"""The audit benchmark's peer: the same dedupe + pricing + unit attribution + lineage + class group-by as SQL in
DuckDB, over the same ledger. Prints wall time; run it under /usr/bin/time -v for peak memory.

    pip install duckdb
    /usr/bin/time -v python3 Benchmarks/scripts/duckdb_audit.py /tmp/audit-bench/ledger

Semantics follow SPEC section 6 for the classes it can express in SQL (direct, inherited through the unit and
its parent chain up to 64 hops, unknown by reason); it does not reconcile against usage exports, so it does
strictly less work than `cost-audit audit --usage ...`.
"""
import sys
import time

import duckdb

ledger = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
start = time.time()
con = duckdb.connect()
con.execute(f"SET threads={threads}")
F = ["user_id", "feature", "team", "project", "task_type"]
con.execute(f"""
CREATE TEMP TABLE raw AS
SELECT * FROM read_json('{ledger}/*.jsonl', format='newline_delimited', filename=true, ignore_errors=true,
  columns={{record_id:'VARCHAR', kind:'VARCHAR', ts:'TIMESTAMPTZ', started_at:'TIMESTAMPTZ', model:'VARCHAR',
           input_tokens:'BIGINT', output_tokens:'BIGINT', cached_input_tokens:'BIGINT', leaf_id:'VARCHAR',
           parent_id:'VARCHAR', root_id:'VARCHAR', attempt:'BIGINT', user_id:'VARCHAR', feature:'VARCHAR',
           team:'VARCHAR', project:'VARCHAR', task_type:'VARCHAR', agent:'VARCHAR', api_key_id:'VARCHAR'}})
""")
# Dedupe: the first copy of a record_id by (ts, file) counts.
con.execute("""
CREATE TEMP TABLE d AS SELECT * FROM raw
QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY ts, filename) = 1
""")
# Price from tokens (the built-in table's current rows), exact DECIMAL arithmetic.
con.execute("""
CREATE TEMP TABLE p AS SELECT *,
  CASE model
    WHEN 'gpt-4.1' THEN ((input_tokens - coalesce(cached_input_tokens,0)) * 2.00 + coalesce(cached_input_tokens,0) * 0.50 + output_tokens * 8.00)
    WHEN 'o3' THEN ((input_tokens - coalesce(cached_input_tokens,0)) * 2.00 + coalesce(cached_input_tokens,0) * 0.50 + output_tokens * 8.00)
    WHEN 'codex-1' THEN (input_tokens * 2.50 + output_tokens * 10.00)
  END::DECIMAL(38,12) / 1000000 AS usd,
  (user_id IS NOT NULL AND feature IS NOT NULL AND team IS NOT NULL AND project IS NOT NULL AND task_type IS NOT NULL) AS complete
FROM d
""")
# Units: U = the earliest complete record's values; otherwise per field the earliest record that has it.
agg = ",\n".join(
    f"coalesce(arg_min({f}, (coalesce(attempt,1), ts, kind <> 'unit', record_id)) FILTER (WHERE complete), "
    f"arg_min({f}, (coalesce(attempt,1), ts, kind <> 'unit', record_id)) FILTER (WHERE {f} IS NOT NULL)) AS {f}"
    for f in F)
con.execute(f"""
CREATE TEMP TABLE units AS SELECT leaf_id, any_value(parent_id) AS parent_id, any_value(root_id) AS root_id,
  bool_or(complete) AS has_u, {agg}
FROM p WHERE leaf_id IS NOT NULL GROUP BY leaf_id
""")
# Lineage: walk parents (falling back once to the root when a parent is absent), filling missing fields.
fill = ", ".join(f"coalesce(w.{f}, u.{f}) AS {f}" for f in F)
con.execute(f"""
CREATE TEMP TABLE resolved AS
WITH RECURSIVE walk(leaf_id, next_id, hops, {", ".join(F)}) AS (
  SELECT leaf_id, coalesce(parent_id, NULL), 0, {", ".join(F)} FROM units
  UNION ALL
  SELECT w.leaf_id, coalesce(u.parent_id, CASE WHEN u.leaf_id IS NULL THEN NULL END), w.hops + 1, {fill}
  FROM walk w JOIN units u ON u.leaf_id = w.next_id
  WHERE w.hops < 64 AND ({" OR ".join(f"w.{f} IS NULL" for f in F)})
)
SELECT leaf_id, {", ".join(f"arg_max({f}, hops) AS {f}" for f in F)} FROM walk GROUP BY leaf_id
""")
cols = ", ".join(f"r.{f} AS r_{f}" for f in F)
rows = con.execute(f"""
SELECT CASE
  WHEN p.complete AND (p.leaf_id IS NULL OR NOT u.has_u OR ({" AND ".join(f"p.{f} = u.{f}" for f in F)})) THEN 'direct'
  WHEN p.leaf_id IS NULL THEN 'unknown:no_envelope'
  WHEN {" AND ".join(f"coalesce(p.{f}, r.{f}) IS NOT NULL" for f in F)} THEN 'inherited'
  ELSE 'unknown:missing_or_broken' END AS class,
  sum(usd)::VARCHAR, count(*)
FROM p LEFT JOIN units u ON u.leaf_id = p.leaf_id LEFT JOIN resolved r ON r.leaf_id = p.leaf_id
GROUP BY 1 ORDER BY 1
""").fetchall()
for row in rows:
    print("%-28s %22s %10d" % row)
print("wall %.2f s" % (time.time() - start))
