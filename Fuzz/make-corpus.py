#!/usr/bin/env python3
"""Writes the seed corpus, Fuzz/Corpus/<target>/, from the project's own real inputs.

Sources: the conformance vectors (docs/conformance), the providers' documented examples and the LiteLLM price
file excerpts (Tests/CostLedgerTests/Fixtures), the JSON examples of docs/*.md, the JSON written inline in the
tests (raw string literals without interpolation), the files `cost-audit demo` writes (when a demo folder is
given), and the command lines the docs show. Each seed is named by the SHA-1 of its bytes, as libFuzzer names
the inputs it adds, so running this again adds nothing twice.

    python3 Fuzz/make-corpus.py [DEMO_FOLDER]
"""

import hashlib
import json
import pathlib
import re
import shlex
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "Corpus"
# Larger seeds slow every execution; the fuzzer's inputs grow from the small ones.
MAX_SEED = 64 * 1024

seeds: dict[str, set[bytes]] = {}


def add(target: str, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode()
    if 0 < len(data) <= MAX_SEED:
        seeds.setdefault(target, set()).add(data)


def classify(text: str) -> None:
    """Adds a JSON text to the corpus of every target whose input it looks like."""
    try:
        value = json.loads(text)
    except ValueError:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and all(is_json(line) for line in lines):
            for line in lines:
                classify(line)
            if '"data"' in text:
                export(text)
        return
    if isinstance(value, dict):
        if "record_id" in value:
            add("LedgerLine", text.strip())
        if "trace_id" in value and "leaf_id" in value:
            add("EnvelopeJSON", text)
        if isinstance(value.get("attribution"), dict):
            add("PayloadEmbedding", text)
        if "data" in value:
            export(text)
        if isinstance(value.get("models"), dict):
            add("PriceFile", text)
        if value and all(isinstance(v, dict) and "input_cost_per_token" in v for v in value.values()):
            add("LiteLLMPriceFile", text)
        if value and all(isinstance(v, dict) and ("team" in v or "project" in v) for v in value.values()):
            add("KeyMapFile", text)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and ("match" in v or "set" in v) for v in value):
            add("RulesFile", text)
        if any(isinstance(v, dict) and "data" in v for v in value):
            export(text)


def export(text: str) -> None:
    if "start_time" in text:
        add("OpenAIExport", text)
    if "starting_at" in text:
        add("AnthropicExport", text)


def is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


def conformance() -> None:
    for case in json.loads((ROOT / "docs/conformance/envelopes.json").read_text())["cases"]:
        add("EnvelopeJSON", case["input"])
        canonical = case.get("expect", {}).get("canonical")
        if canonical:
            add("EnvelopeJSON", canonical)
            add("PayloadEmbedding", '{"attribution":' + canonical + ',"document_id":42}')
        add("PayloadEmbedding", '{"job":"summarize","attribution":' + case["input"] + "}")
    for case in json.loads((ROOT / "docs/conformance/headers.json").read_text()):
        if "headers" in case:
            fields = case["headers"]
            pairs = [(f[0], f[1]) if isinstance(f, list) else (f["name"], f["value"]) for f in fields]
        else:
            pairs = [("traceparent", case["traceparent"])]
            if case.get("baggage") is not None:
                pairs.append(("baggage", case["baggage"]))
        add("EnvelopeHeaders", "\n".join(f"{name}: {value}" for name, value in pairs))
        written = case.get("expect", {}).get("written")
        if written:
            add("EnvelopeHeaders", "\n".join(f"{name}: {value}" for name, value in written.items()))
    for payload in ["{}", '{"document_id":42}', ' { "a" : [1, {"b": null}], "c": "\\u00e9" } ']:
        add("PayloadEmbedding", payload)


def fixtures() -> None:
    fixture_dir = ROOT / "Tests/CostLedgerTests/Fixtures"
    add("LiteLLMPriceFile", (fixture_dir / "litellm_prices.json").read_bytes())
    # The published file, in excerpts of a few dozen entries each (the whole file is 3.4 MB).
    published = json.loads((fixture_dir / "litellm-1.110.2/model_prices_and_context_window_backup.json").read_text())
    items = list(published.items())
    for start in range(0, len(items), 200):
        add("LiteLLMPriceFile", json.dumps(dict(items[start : start + 4]), indent=4))


def docs() -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text()
        for block in re.findall(r"```(?:json|jsonl)\n(.*?)```", text, re.S):
            classify(block)
        for command in re.findall(r"^\s*(?:\$ )?(cost-audit [^\n`|>]*)", text, re.M):
            try:
                words = shlex.split(command.strip().rstrip("\\"))
            except ValueError:
                continue
            add("Arguments", b"\0".join(word.encode() for word in words[1:]))


def tests() -> None:
    for source in sorted((ROOT / "Tests").rglob("*.swift")):
        text = source.read_text()
        literals = re.findall(r'#"""\n(.*?)\n\s*"""#', text, re.S) + re.findall(r'#"(\{.*?|\[.*?)"#', text)
        for literal in literals:
            if "\\(" in literal or "\\#(" in literal:
                continue
            # A multi-line raw string keeps its indentation; JSON does not mind it.
            classify(literal)


def demo(folder: pathlib.Path) -> None:
    ledgers = sorted((folder / "ledger").glob("*.jsonl"))[:3]
    for path in ledgers:
        for line in path.read_bytes().splitlines()[:400:25]:
            add("LedgerLine", line)
    for path in sorted(folder.rglob("*.json")):
        value = json.loads(path.read_text())
        if isinstance(value, dict) and isinstance(value.get("data"), list):
            # An export page of a few buckets at a time (the demo's page holds months).
            for start in range(0, len(value["data"]), 40):
                page = dict(value, data=value["data"][start : start + 2])
                classify(json.dumps(page, indent=2))
        else:
            classify(path.read_text())


def main() -> None:
    conformance()
    fixtures()
    docs()
    tests()
    if len(sys.argv) > 1:
        demo(pathlib.Path(sys.argv[1]))
    for target, datas in sorted(seeds.items()):
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for data in datas:
            (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)
        print(f"{target}: {len(list(directory.iterdir()))} seeds")


main()
