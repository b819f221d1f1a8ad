#!/usr/bin/env python3
"""Generate a mapping-rules file (docs/audit.md, "Key map and rules") of many rules, for measuring the audit's
rule matching against a ledger from generate_ledger.py.

Deterministic for a seed. All but the last few rules match values the ledger never holds (an agent and a key
per rule, as a large organisation's per-service rules would), so an audit that tries every rule on every
incomplete record compares each one with all of them before it reaches the rules that match; the last rules
match the generated ledger's agents and keys and fill the missing fields.

    python3 Benchmarks/scripts/generate_rules.py --rules 20000 --out /tmp/defects-1m/rules.json
"""
import argparse
import json
import random

AGENTS = ["planner", "researcher", "writer", "nightly-eval-agent", "triage-bot"]
KEYS = ["key_prod_a", "key_prod_b", "key_batch", "key_legacy"]
MODELS = ["gpt-4.1", "o3", "codex-1"]
FILL = {"user_id": "system", "feature": "batch_jobs", "team": "ml-platform", "project": "batch",
        "task_type": "eval"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=20000, help="number of rules (default 20000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True, help="the rules file to write")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    matching = []
    for agent in AGENTS:
        matching.append({"match": {"agent": agent, "api_key_id": rng.choice(KEYS)}, "set": dict(FILL)})
    for model in MODELS:
        matching.append({"match": {"model": model, "provider": "openai"}, "set": {"team": "platform"}})
    for key in KEYS:
        matching.append({"match": {"api_key_id": key}, "set": dict(FILL)})
    rules = []
    shapes = [("agent",), ("agent", "api_key_id"), ("feature", "model"), ("api_key_id",)]
    for n in range(max(0, args.rules - len(matching))):
        shape = shapes[n % len(shapes)]
        match = {}
        for field in shape:
            if field == "model":
                match[field] = rng.choice(MODELS)
            else:
                match[field] = "%s-%05d" % (field.replace("_", "-"), n)
        rules.append({"match": match, "set": {"team": "team-%05d" % n, "project": "project-%05d" % n}})
    rules.extend(matching)
    with open(args.out, "w") as f:
        json.dump(rules, f, indent=0)
        f.write("\n")
    print("wrote %d rules to %s" % (len(rules), args.out))


if __name__ == "__main__":
    main()
