#!/usr/bin/env python3
"""Adds to a workload of Benchmarks/scripts/generate_ledger.py (OUT/ledger, OUT/usage) the fault classes that
generator does not plant, so that `cost-audit audit` and the SQL of `cost-audit sql` meet every one
(.ci/check-sql.sh):

- torn lines (a crash's last line, no newline), a non-object line, a line over 64 KiB;
- invalid records: a negative count, cached above input, a bad leaf id, version 2, an empty field, a key twice,
  attempt 0, a non-string field, an unknown status, a negative cost_usd; a record of another kind;
- a duplicate whose bytes differ (record_id conflict), earlier in another file;
- overwritten retries: attempt 2 of a unit whose attempt 1 was complete, with another team;
- lineage: a parent missing with the root standing in, a cycle of two units, a chain of 70 units (past 64 hops),
  a unit with no complete record whose fields come from two records;
- pricing: a model no table prices (with and without cost_usd), a dated name, a provider-prefixed name, a tier
  the table does not price, a long-context call, Anthropic cache writes;
- a `dt=YYYY-MM-DD` day partition;
- rules (`OUT/rules.json`) and a key map (`OUT/keys.json`) that both apply;
- usage: an Anthropic usage export, OpenAI rows without a model, a duplicated usage page, and an OpenAI costs
  export.

    python3 .ci/sql-faults.py OUT
"""
import json
import os
import sys

out = sys.argv[1]
ledger = os.path.join(out, "ledger")
usage = os.path.join(out, "usage")
os.makedirs(os.path.join(ledger, "dt=2026-10-03"), exist_ok=True)

FULL = {"user_id": "u_fault", "feature": "summarize", "team": "growth", "project": "assistant", "task_type": "plan"}
counter = [0]


def rid():
    counter[0] += 1
    return "f%031x" % counter[0]


def leaf(n):
    return "%016x" % (0xFA0000 + n)


def call(ts, model="gpt-4.1", provider="openai", key="key_prod_a", inp=1000, out=100, **extra):
    rec = {"v": 1, "record_id": rid(), "ts": ts, "provider": provider, "model": model, "api_key_id": key,
           "input_tokens": inp, "output_tokens": out}
    rec.update(extra)
    return rec


def line(obj):
    return json.dumps(obj, separators=(",", ":"))


a = []  # faults.jsonl
day = "2026-10-03T"

# Overwritten retries: attempt 1 complete, attempt 2 with another team (a retry identity conflict).
a.append(call(day + "01:00:00.000Z", leaf_id=leaf(1), attempt=1, **FULL))
a.append(call(day + "01:00:01.000Z", leaf_id=leaf(1), attempt=2, **{**FULL, "team": "search"}))
a.append(call(day + "01:00:02.000Z", leaf_id=leaf(1), attempt=2, user_id="u_other"))
# A parent missing from the ledger, the root standing in once.
a.append({"v": 1, "record_id": "unit:" + leaf(10), "kind": "unit", "ts": day + "02:00:00.000Z", "leaf_id": leaf(10),
          "root_id": leaf(10), **FULL})
a.append(call(day + "02:00:01.000Z", leaf_id=leaf(11), parent_id=leaf(99), root_id=leaf(10), user_id="u_x"))
# A parent missing, no root: broken lineage.
a.append(call(day + "02:00:02.000Z", leaf_id=leaf(12), parent_id=leaf(98), user_id="u_y", team="t"))
# A unit with no parent and fields missing: the walk reaches the root (missing_fields), as do calls with no
# parent that carry a few fields and an agent.
a.append(call(day + "02:00:03.000Z", leaf_id=leaf(13), user_id="u_z", agent="summarizer", task_type="plan"))
a.append(call(day + "02:00:04.000Z", leaf_id=leaf(14), key="key_legacy", feature="f14", team="t14"))
# A cycle of two units, neither complete.
a.append(call(day + "03:00:00.000Z", leaf_id=leaf(20), parent_id=leaf(21), user_id="u_c"))
a.append(call(day + "03:00:01.000Z", leaf_id=leaf(21), parent_id=leaf(20), feature="f_c"))
# A chain of 70 units: the bottom one's walk runs out of hops before the complete top.
a.append({"v": 1, "record_id": "unit:" + leaf(100), "kind": "unit", "ts": day + "04:00:00.000Z", "leaf_id": leaf(100),
          **FULL})
for k in range(1, 70):
    a.append(call(day + "04:00:%02d.%03dZ" % (k // 10, k), leaf_id=leaf(100 + k), parent_id=leaf(100 + k - 1),
                  inp=10 + k))
# A chain of 40: within reach, inherited from the top.
a.append({"v": 1, "record_id": "unit:" + leaf(300), "kind": "unit", "ts": day + "05:00:00.000Z", "leaf_id": leaf(300),
          **FULL})
for k in range(1, 40):
    a.append(call(day + "05:00:%02d.000Z" % k, leaf_id=leaf(300 + k), parent_id=leaf(300 + k - 1)))
# A unit with no complete record, complete from two.
a.append(call(day + "06:00:00.000Z", leaf_id=leaf(400), user_id="u_p", feature="fp", team="tp"))
a.append(call(day + "06:00:01.000Z", leaf_id=leaf(400), project="pp", task_type="tt"))
# Pricing: no price (with and without a stored cost), dated and prefixed names, an unpriced tier, long context.
a.append(call(day + "07:00:00.000Z", model="mystery-model", cost_usd=0.0123456789, **FULL))
a.append(call(day + "07:00:01.000Z", model="mystery-model", **FULL))
a.append(call(day + "07:00:02.000Z", model="gpt-4.1-2025-04-14", **FULL))
a.append(call(day + "07:00:03.000Z", model="openai/gpt-4.1", **FULL))
a.append(call(day + "07:00:04.000Z", model="gpt-4.1", service_tier="flex", **FULL))
a.append(call(day + "07:00:05.000Z", model="gpt-5.4", inp=300000, out=1000, cached_input_tokens=1000, **FULL))
a.append(call(day + "07:00:06.000Z", model="claude-sonnet-4-5-20250929", provider="anthropic", key="apikey_01",
              inp=5000, out=300, cached_input_tokens=1000, cache_write_tokens=500, cache_write_1h_tokens=200, **FULL))
a.append(call(day + "07:00:07.000Z", model="claude-haiku-4-5", provider="anthropic", key="apikey_01",
              started_at="2026-10-02T23:59:59.999+00:00", **FULL))
a.append(call(day + "07:00:08.000Z", model="codex-1", cached_input_tokens=10, **FULL))
# Rules: the nightly eval agent, no envelope; the key map: key_prod_b's team and project.
for k in range(3):
    a.append(call(day + "08:00:0%d.000Z" % k, agent="nightly-eval-agent", key="key_batch"))
    a.append(call(day + "08:10:0%d.000Z" % k, key="key_prod_b", user_id="u_k", feature="fk", task_type="tk"))
    a.append(call(day + "08:20:0%d.000Z" % k, key="key_legacy", agent="translator", task_type="translate"))
# Kinds and invalid records.
a.append({"v": 1, "record_id": rid(), "kind": "feedback", "ts": day + "09:00:00.000Z"})
bad = [
    call(day + "09:00:01.000Z", inp=-1),
    call(day + "09:00:02.000Z", cached_input_tokens=5000),
    call(day + "09:00:03.000Z", leaf_id="XYZ"),
    {**call(day + "09:00:04.000Z"), "v": 2},
    call(day + "09:00:05.000Z", user_id=""),
    call(day + "09:00:06.000Z", attempt=0),
    call(day + "09:00:07.000Z", team=7),
    call(day + "09:00:08.000Z", status="lost"),
    call(day + "09:00:09.000Z", cost_usd=-1),
    call(day + "09:00:10.000Z", leaf_id="0000000000000000"),
    {**call(day + "09:00:11.000Z"), "ts": "yesterday"},
    call(day + "09:00:12.000Z", reasoning_tokens=500),
    call(day + "09:00:13.000Z", tags={"Env": "prod"}),
]
lines = [line(r) for r in a] + [line(r) for r in bad]
lines.append(line(call(day + "09:00:14.000Z")).replace('"v":1,', '"v":1,"v":1,'))
lines.append("[1, 2, 3]")
lines.append("not json at all")
lines.append(line(call(day + "09:00:15.000Z", user_id="x" * 70000)))
# A duplicate with other bytes, written earlier in the partition file: the partition's copy counts.
conflict = call(day + "10:00:00.000Z", **FULL)
conflict["record_id"] = "conflict-1"
lines.append(line(conflict))
lines.append(line(conflict))  # the same bytes: a duplicate, no conflict
with open(os.path.join(ledger, "faults.jsonl"), "w") as f:
    f.write("\n".join(lines) + "\n")
    # A torn last line: a crash mid-write.
    f.write(line(call(day + "11:00:00.000Z"))[:40])

early = dict(conflict)
early["ts"] = day + "09:59:59.000Z"
early["team"] = "search"
with open(os.path.join(ledger, "dt=2026-10-03", "partitioned.jsonl"), "w") as f:
    f.write(line(early) + "\n")
    f.write(line(call(day + "12:00:00.000Z", **FULL)) + "\n")
    f.write(line(call("2026-10-04T00:30:00.000+02:00", **FULL)) + "\n")

with open(os.path.join(out, "rules.json"), "w") as f:
    json.dump([{"match": {"agent": "nightly-eval-agent"},
                "set": {"user_id": "system", "feature": "nightly_eval", "team": "ml-platform",
                        "project": "nightly-eval", "task_type": "eval"}},
               {"match": {"model": "codex-1", "api_key_id": "key_legacy"}, "set": {"team": "devtools"}}], f)
with open(os.path.join(out, "keys.json"), "w") as f:
    json.dump({"key_prod_b": {"team": "search", "project": "search-prod"},
               "apikey_01": {"team": "growth", "project": "assistant"}}, f)

# Anthropic usage for 2026-10-03 (more than recorded: unrecorded spend on a mapped key), and an unknown model.
anthropic = {"data": [{"starting_at": "2026-10-03T00:00:00Z", "ending_at": "2026-10-04T00:00:00Z", "results": [
    {"uncached_input_tokens": 900000, "cache_read_input_tokens": 1000, "cache_creation":
        {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 200}, "output_tokens": 20000,
     "server_tool_use": {"web_search_requests": 0}, "api_key_id": "apikey_01", "workspace_id": None,
     "model": "claude-sonnet-4-5-20250929", "service_tier": "standard", "context_window": "0-200k"},
    {"uncached_input_tokens": 100, "cache_read_input_tokens": 0, "cache_creation":
        {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}, "output_tokens": 10,
     "server_tool_use": {"web_search_requests": 0}, "api_key_id": "apikey_02", "workspace_id": None,
     "model": "claude-unknown-9", "service_tier": "standard", "context_window": "0-200k"}]}],
    "has_more": False, "next_page": None}
with open(os.path.join(usage, "anthropic-usage.json"), "w") as f:
    json.dump(anthropic, f)
# OpenAI rows without a model on a day of their own, and that page again (duplicated rows).
modelless = {"object": "page", "data": [{"object": "bucket", "start_time": 1791158400, "end_time": 1791244800,
    "results": [{"object": "organization.usage.completions.result", "input_tokens": 5000, "output_tokens": 500,
                 "input_cached_tokens": 0, "num_model_requests": 2, "api_key_id": "key_prod_a", "model": None,
                 "batch": None}]}], "has_more": False, "next_page": None}
for name in ("openai-modelless.json", "openai-modelless-again.json"):
    with open(os.path.join(usage, name), "w") as f:
        json.dump(modelless, f)
costs = {"object": "page", "data": [{"object": "bucket", "start_time": 1790985600, "end_time": 1791072000,
    "results": [{"object": "organization.costs.result", "amount": {"value": 12.5, "currency": "usd"},
                 "line_item": None, "project_id": None}]}], "has_more": False, "next_page": None}
with open(os.path.join(usage, "openai-costs.json"), "w") as f:
    json.dump(costs, f)
print("added %d fault lines to %s" % (len(lines) + 4, out))
