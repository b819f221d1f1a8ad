#!/usr/bin/env python3
"""Generate a realistic cost ledger (SPEC section 4) and the provider usage export that bills it.

Deterministic for a seed. The default is the audit benchmark's workload: 2,000,000 records in 8 files
(about 900 MB), realistic fan-out (roots, tool-call children, grandchildren), retries, call sites that
lose propagation, calls with no envelope, broken lineage, and 0.2% duplicated lines.

    python3 Benchmarks/scripts/generate_ledger.py --records 2000000 --out /tmp/bench-ledger

writes /tmp/bench-ledger/ledger/*.jsonl and /tmp/bench-ledger/usage/openai-usage-*.json.
"""
import argparse
import json
import os
import random
from decimal import Decimal

PRICES = {  # USD per million tokens: (input, output, cached_input); the built-in table's post-2025-06-10 rows
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00"), Decimal("0.50")),
    "o3": (Decimal("2.00"), Decimal("8.00"), Decimal("0.50")),
    "codex-1": (Decimal("2.50"), Decimal("10.00"), None),
}
MODELS = ["gpt-4.1", "gpt-4.1", "o3", "codex-1"]
FEATURES = ["summarize", "search", "draft_reply", "code_review", "classify", "translate", "agent_chat", "report"]
TEAMS = {"summarize": "growth", "search": "search", "draft_reply": "support", "code_review": "devtools",
         "classify": "ml-platform", "translate": "growth", "agent_chat": "assistant", "report": "finance"}
TASKS = ["summarize", "classify", "generate", "retrieve", "plan", "eval"]
TOOLS = ["web_search", "code_exec", "retrieval", "calculator", "browser", "sql"]
AGENTS = ["planner", "researcher", "writer", "nightly-eval-agent", "triage-bot"]
KEYS = ["key_prod_a", "key_prod_b", "key_batch", "key_legacy"]


def hex_id(rng, n):
    while True:
        v = rng.getrandbits(4 * n)
        if v:
            return format(v, "0%dx" % n)


def iso(ms):
    s, ms = divmod(ms, 1000)
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % ms


def cost(model, inp, out, cached):
    p = PRICES[model]
    c = (inp - cached) * p[0] + out * p[1] + cached * (p[2] if p[2] is not None else p[0])
    return c / Decimal(1_000_000)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=2_000_000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    ap.add_argument("--start", default="2026-10-01", help="first UTC day of the workload")
    ap.add_argument("--days", type=int, default=7)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    ledger_dir = os.path.join(args.out, "ledger")
    usage_dir = os.path.join(args.out, "usage")
    os.makedirs(ledger_dir, exist_ok=True)
    os.makedirs(usage_dir, exist_ok=True)
    files = [open(os.path.join(ledger_dir, "bench-host-%d-1760000000000-%08x.jsonl" % (1000 + i, rng.getrandbits(32))),
                  "w", buffering=1 << 20) for i in range(args.files)]
    import calendar, time
    start_ms = calendar.timegm(time.strptime(args.start, "%Y-%m-%d")) * 1000
    span_ms = args.days * 86_400_000
    users = ["u_%05d" % i for i in range(20_000)]
    usage = {}  # (day, model, key) -> [input, cached, output, requests]
    written = 0
    dup_pool = []

    def emit(obj, billed=True):
        nonlocal written
        line = json.dumps(obj, separators=(",", ":")) + "\n"
        f = files[rng.randrange(args.files)]
        f.write(line)
        written += 1
        if obj.get("kind") != "unit" and billed:
            day = obj["ts"][:10]
            cell = usage.setdefault((day, obj["model"], obj.get("api_key_id", "key_prod_a")), [0, 0, 0, 0])
            cell[0] += obj["input_tokens"]
            cell[1] += obj.get("cached_input_tokens", 0)
            cell[2] += obj["output_tokens"]
            cell[3] += 1
        if rng.random() < 0.002:
            dup_pool.append(line)

    while written < args.records:
        trace = hex_id(rng, 32)
        root = hex_id(rng, 16)
        t = start_ms + rng.randrange(span_ms - 3_600_000)
        feature = rng.choice(FEATURES)
        attribution = {"user_id": rng.choice(users), "feature": feature, "team": TEAMS[feature],
                       "project": "assistant" if feature != "report" else "finance-reports",
                       "task_type": rng.choice(TASKS)}
        agent = rng.choice(AGENTS)
        unit = {"v": 1, "record_id": "unit:" + root, "kind": "unit", "ts": iso(t), "trace_id": trace,
                "leaf_id": root, "root_id": root, "attempt": 1, **attribution, "agent": agent}
        emit(unit)
        units = [(root, None, 0)]
        for _ in range(rng.choice([0, 1, 2, 3, 5])):
            child = hex_id(rng, 16)
            units.append((child, root, 1))
            if rng.random() < 0.3:
                for _ in range(rng.randrange(1, 4)):
                    units.append((hex_id(rng, 16), child, 2))
        for leaf, parent, depth in units:
            lost = depth > 0 and rng.random() < 0.18          # a call site that drops attribution fields
            no_envelope = rng.random() < 0.03                  # a call that bypasses the envelope entirely
            broken = depth > 0 and rng.random() < 0.01         # parent never recorded
            for call in range(rng.randrange(1, 4)):
                t += rng.randrange(50, 4000)
                model = rng.choice(MODELS)
                inp = rng.randrange(200, 12_000)
                cached = rng.randrange(0, inp // 2) if model != "codex-1" and rng.random() < 0.4 else 0
                out = rng.randrange(20, 2_000)
                rec = {"v": 1, "record_id": hex_id(rng, 32), "ts": iso(t), "started_at": iso(t - rng.randrange(200, 9000)),
                       "provider": "openai", "model": model, "api_key_id": rng.choice(KEYS),
                       "input_tokens": inp, "output_tokens": out}
                if cached:
                    rec["cached_input_tokens"] = cached
                if model == "o3":
                    rec["reasoning_tokens"] = rng.randrange(0, out + 1)
                rec["cost_usd"] = float(cost(model, inp, out, cached))
                if rng.random() < 0.02:
                    rec["status"] = "error"
                if not no_envelope:
                    rec.update({"trace_id": trace, "leaf_id": leaf,
                                "parent_id": (hex_id(rng, 16) if broken else parent) if parent else None,
                                "root_id": root, "attempt": 1 if rng.random() > 0.05 else 2})
                    if rec["parent_id"] is None:
                        del rec["parent_id"]
                    if not lost:
                        rec.update(attribution)
                    rec["tool"] = rng.choice(TOOLS) if depth else "none"
                    rec["prompt_version"] = "v%d" % rng.randrange(1, 6)
                    rec["agent"] = agent
                    rec["tags"] = {"env": "prod"}
                emit(rec)
        # Spend that bypasses the wrapper entirely: billed, never recorded.
        if rng.random() < 0.02:
            model = rng.choice(MODELS)
            day = iso(t)[:10]
            cell = usage.setdefault((day, model, "key_legacy"), [0, 0, 0, 0])
            cell[0] += rng.randrange(1000, 50_000)
            cell[2] += rng.randrange(100, 5_000)
            cell[3] += 1

    for line in dup_pool:
        files[rng.randrange(args.files)].write(line)
    for f in files:
        f.close()

    # The provider's usage export: one bucket per UTC day, results grouped by model and api key.
    days = sorted({k[0] for k in usage})
    buckets = []
    for day in days:
        st = calendar.timegm(time.strptime(day, "%Y-%m-%d"))
        results = []
        for (d, model, key), (inp, cached, out, n) in sorted(usage.items()):
            if d == day:
                results.append({"object": "organization.usage.completions.result", "input_tokens": inp,
                                "output_tokens": out, "input_cached_tokens": cached, "input_audio_tokens": 0,
                                "output_audio_tokens": 0, "num_model_requests": n, "project_id": None,
                                "user_id": None, "api_key_id": key, "model": model, "batch": None})
        buckets.append({"object": "bucket", "start_time": st, "end_time": st + 86400, "results": results})
    with open(os.path.join(usage_dir, "openai-usage-page-1.json"), "w") as f:
        json.dump({"object": "page", "data": buckets, "has_more": False, "next_page": None}, f)
    size = sum(os.path.getsize(os.path.join(ledger_dir, n)) for n in os.listdir(ledger_dir))
    print("wrote %d records (+%d duplicates) in %d files, %.0f MB, to %s" %
          (written, len(dup_pool), args.files, size / 1e6, args.out))


if __name__ == "__main__":
    main()
