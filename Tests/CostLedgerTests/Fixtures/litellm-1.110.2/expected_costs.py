#!/usr/bin/env python3
"""Expected costs for a sample of LiteLLM 1.110.2's price file, computed independently of the Swift code.

Reads model_prices_and_context_window_backup.json beside this script with every number kept as the decimal
text the file has (json's parse_float=decimal.Decimal: no binary float anywhere), rounds each per-token
price half-even to a multiple of 10^-18 USD, and prices two fixed token mixes with the cost formula of
docs/prices.md:

    (input - cached - cache_write - cache_write_1h) * input_price + cached * cached_price
      + cache_write * cache_write_price + cache_write_1h * cache_write_1h_price + output * output_price

Cached tokens of a price without a cached price are charged at the input price (and counted); any other
class of tokens with no price makes the call unpriced (null). Writes expected_costs.json beside this script:

    python3 expected_costs.py
"""

import decimal
import json
import pathlib
import re
from decimal import ROUND_HALF_EVEN, Decimal

decimal.getcontext().prec = 80

HERE = pathlib.Path(__file__).resolve().parent
PRICE_FILE = HERE / "model_prices_and_context_window_backup.json"
OUTPUT = HERE / "expected_costs.json"
LITELLM_VERSION = "1.110.2"
ATTODOLLAR = Decimal("1e-18")

CLASS_OF_FIELD = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cached_input",
    "cache_creation_input_token_cost": "cache_write",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
}
TIER_OF_SUFFIX = {"": "default", "_batches": "batch", "_flex": "flex", "_priority": "priority"}
FIELD = re.compile(
    r"^(?P<cls>" + "|".join(sorted(CLASS_OF_FIELD, key=len, reverse=True)) + r")"
    r"(?:_above_(?P<count>[0-9]+)(?P<unit>[km])_tokens)?"
    r"(?P<tier>_batches|_flex|_priority)?$"
)

# Two token mixes: one below every long-context threshold of the file but above its 32k ranges, one above
# the 100k, 128k, 200k, 256k and 272k thresholds. Cache-write tokens are used where the model prices them.
MIXES = {
    "small": {"input": 61234, "output": 4321, "cached_input": 20480, "cache_write": 7777, "cache_write_1h": 3333},
    "large": {
        "input": 301234,
        "output": 12345,
        "cached_input": 100000,
        "cache_write": 22222,
        "cache_write_1h": 11111,
    },
}


def per_token(value):
    """A price as the file writes it, rounded half-even to a whole attodollar."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError(f"not a number: {value!r}")
    return Decimal(value).quantize(ATTODOLLAR, rounding=ROUND_HALF_EVEN)


def whole(value):
    number = Decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"not a whole token count: {value!r}")
    return int(number)


def prices_of(entry):
    """{tier: {threshold: {class: price}}} of one entry, or None when it has no token price."""
    tiers = {}
    for key, value in entry.items():
        match = FIELD.match(key)
        if match is None or value is None:
            continue
        threshold = 0
        if match["count"] is not None:
            threshold = int(match["count"]) * (1000 if match["unit"] == "k" else 1000000)
        tier = TIER_OF_SUFFIX[match["tier"] or ""]
        tiers.setdefault(tier, {}).setdefault(threshold, {})[CLASS_OF_FIELD[match["cls"]]] = per_token(value)
    ranged = {}
    for item in entry.get("tiered_pricing") or []:
        rates = {CLASS_OF_FIELD[k]: per_token(v) for k, v in item.items() if k in CLASS_OF_FIELD and v is not None}
        if rates:
            start, _end = item["range"]
            ranged[whole(start)] = rates
    if ranged:
        # A model priced by input-token ranges is priced by them alone in the default tier.
        tiers["default"] = ranged
    return tiers or None


def load():
    with open(PRICE_FILE, encoding="utf-8") as f:
        data = json.load(f, parse_float=Decimal)
    priced = {}
    for name, entry in data.items():
        if name == "sample_spec" or not isinstance(entry, dict):
            continue
        prices = prices_of(entry)
        if prices is not None:
            priced[name] = prices
    # An entry without prices of its own that is an alias_of a priced entry is served as that entry.
    own = dict(priced)
    for name, entry in data.items():
        if name in priced or name == "sample_spec" or not isinstance(entry, dict):
            continue
        target = entry.get("alias_of")
        if isinstance(target, str) and target in own:
            priced[name] = own[target]
    return data, priced


def cost(prices, tokens):
    """(exact cost, cached tokens at the input price) of a default-tier call, or (None, 0) when unpriced."""
    thresholds = sorted({t for by_threshold in prices.values() for t in by_threshold} | {0})
    default = prices.get("default")
    if default is None:
        return None, 0
    band = max(t for t in thresholds if t == 0 or tokens["input"] > t)
    rates = default.get(band, {})
    uncached = tokens["input"] - tokens["cached_input"] - tokens["cache_write"] - tokens["cache_write_1h"]
    total = Decimal(0)
    at_input = 0
    if uncached > 0:
        if "input" not in rates:
            return None, 0
        total += uncached * rates["input"]
    if tokens["cached_input"] > 0:
        if "cached_input" in rates:
            total += tokens["cached_input"] * rates["cached_input"]
        elif "input" in rates:
            total += tokens["cached_input"] * rates["input"]
            at_input = tokens["cached_input"]
        else:
            return None, 0
    for cls in ("cache_write", "cache_write_1h", "output"):
        if tokens[cls] > 0:
            if cls not in rates:
                return None, 0
            total += tokens[cls] * rates[cls]
    return total, at_input


def has_noise(entry):
    for key, value in entry.items():
        if FIELD.match(key) and isinstance(value, Decimal) and per_token(value) != value:
            return True
    for item in entry.get("tiered_pricing") or []:
        for key, value in item.items():
            if key in CLASS_OF_FIELD and isinstance(value, Decimal) and per_token(value) != value:
                return True
    return False


FAMILY = re.compile(r"(claude|gpt-|(^|[/.])o[1-9](-|$))")


def main():
    data, priced = load()
    names = sorted(priced)
    sample = set(names[::10])
    for name in names:
        entry = data[name]
        if (
            FAMILY.search(name)
            or entry.get("litellm_provider") in ("openai", "anthropic")
            or has_noise(entry)
            or "tiered_pricing" in entry
            or "alias_of" in entry
        ):
            sample.add(name)
    samples = []
    for name in sorted(sample):
        prices = priced[name]
        classes = {cls for by_threshold in prices.get("default", {}).values() for cls in by_threshold}
        for mix_name, mix in MIXES.items():
            tokens = dict(mix)
            for cls in ("cache_write", "cache_write_1h"):
                if cls not in classes:
                    tokens[cls] = 0
            total, at_input = cost(prices, tokens)
            samples.append(
                {
                    "model": name,
                    "provider": data[name].get("litellm_provider"),
                    "mix": mix_name,
                    "tokens": tokens,
                    "cost_usd": None if total is None else format(total.quantize(ATTODOLLAR), "f"),
                    "cached_tokens_at_input_price": at_input,
                }
            )
    result = {
        "litellm_version": LITELLM_VERSION,
        "file": PRICE_FILE.name,
        "entries": len(data),
        "priced_models": names,
        "sampled_models": len(sample),
        "samples": samples,
    }
    # One sample per line, so that a change to the file or the rules shows up as a readable diff.
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write("{\n")
        for key in ("litellm_version", "file", "entries", "sampled_models"):
            f.write(f" {json.dumps(key)}: {json.dumps(result[key])},\n")
        f.write(' "priced_models": [\n')
        f.write(",\n".join("  " + json.dumps(name) for name in result["priced_models"]))
        f.write("\n ],\n")
        f.write(' "samples": [\n')
        f.write(",\n".join("  " + json.dumps(sample, sort_keys=True) for sample in result["samples"]))
        f.write("\n ]\n}\n")
    priced_samples = sum(1 for s in samples if s["cost_usd"] is not None)
    print(f"{len(names)} priced models, {len(sample)} sampled, {priced_samples} of {len(samples)} quotes priced")


if __name__ == "__main__":
    main()
