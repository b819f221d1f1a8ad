#!/usr/bin/env python3
"""Generate a large valid input of one kind the audit reads whole (docs/reliability-hostile.md), for measuring
what its decoder holds: many small entries, every value distinct, up to about --bytes bytes.

    python3 Benchmarks/scripts/generate_decoder_inputs.py --kind rules --bytes 16000000 --out /tmp/rules.json

Kinds: rules (--rules), keys (--keys), prices (the project's own price file, --prices), litellm (LiteLLM's
model_prices_and_context_window.json, --prices), usage (an OpenAI completions usage export as one JSON page,
--usage), usage-pages (the same as a JSON array of pages), config (cost-audit.json, --config).
"""
import argparse
import json


def rules(n):
    return [{"match": {"agent": "agent-%08d" % i, "api_key_id": "key-%08d" % i},
             "set": {"team": "team-%08d" % i, "project": "project-%08d" % i}} for i in range(n)]


def keys(n):
    return {"key-%08d" % i: {"team": "team-%08d" % i, "project": "project-%08d" % i} for i in range(n)}


def prices(n):
    return {"source": "generated", "models": {
        "openai/model-%08d" % i: [{"effective_from": "2026-01-01", "input": "2.00", "output": "8.00"}]
        for i in range(n)}}


def litellm(n):
    return {"model-%08d" % i: {"litellm_provider": "openai", "mode": "chat", "max_tokens": 32768,
                               "input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06,
                               "supports_function_calling": True} for i in range(n)}


def usage_bucket(i):
    start = 1796083200 + 60 * i
    return {"object": "bucket", "start_time": start, "end_time": start + 60, "results": [
        {"object": "organization.usage.completions.result", "input_tokens": 1000 + i, "output_tokens": 200,
         "input_cached_tokens": 0, "num_model_requests": 1, "project_id": "proj-%08d" % i, "user_id": None,
         "api_key_id": "key-%08d" % i, "model": "gpt-4.1", "batch": False}]}


def usage(n):
    return {"object": "page", "data": [usage_bucket(i) for i in range(n)], "has_more": False, "next_page": None}


def usage_pages(n):
    per = 100
    return [{"object": "page", "data": [usage_bucket(i) for i in range(p, min(n, p + per))], "has_more": False,
             "next_page": None} for p in range(0, n, per)]


def config(n):
    return {"ledgers": ["/tmp/ledger-%08d.jsonl" % i for i in range(n)]}


KINDS = {"rules": (rules, 150), "keys": (keys, 75), "prices": (prices, 110), "litellm": (litellm, 230),
         "usage": (usage, 390), "usage-pages": (usage_pages, 390), "config": (config, 28)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", required=True, choices=sorted(KINDS))
    parser.add_argument("--bytes", type=int, required=True, help="about this many bytes")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    make, per_entry = KINDS[args.kind]
    n = max(1, args.bytes // per_entry)
    text = json.dumps(make(n), separators=(",", ":"))
    n = max(1, n * args.bytes // len(text))
    text = json.dumps(make(n), separators=(",", ":"))
    while len(text) > args.bytes and n > 1:
        n = n * args.bytes // len(text) - 1
        text = json.dumps(make(n), separators=(",", ":"))
    with open(args.out, "w") as f:
        f.write(text + "\n")
    print("wrote %d entries, %d bytes of %s to %s" % (n, len(text) + 1, args.kind, args.out))


if __name__ == "__main__":
    main()
