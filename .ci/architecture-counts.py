#!/usr/bin/env python3
"""Counts what docs/architecture.md promises about the code, from the code itself.

Prints the markdown block that sits between the `counts:begin` and `counts:end` markers of
docs/architecture.md. With --check, exits 1 when the page's block differs from the code.
Comments (`//`, `///`, whole lines or after code) are not counted: a key named in a comment is not a spelling.
"""
import pathlib, re, sys

root = pathlib.Path(__file__).resolve().parent.parent
sources = sorted(p for p in (root / "Sources").rglob("*.swift"))


def code_lines(path):
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        yield without_trailing_comment(line)


def without_trailing_comment(line):
    """The line up to a `//` that is outside a string literal (an even number of unescaped quotes before it)."""
    quotes = 0
    index = 0
    while index < len(line):
        if line[index] == "\\":
            index += 2
            continue
        if line[index] == '"':
            quotes += 1
        elif line.startswith("//", index) and quotes % 2 == 0:
            return line[:index]
        index += 1
    return line


def count(pattern, path):
    rx = re.compile(pattern)
    return sum(len(rx.findall(line)) for line in code_lines(path))


def rel(path):
    return str(path.relative_to(root))


out = []
# Unsafe code: every use is marked (`unsafe` expressions, `@unsafe`/`@safe` types) under strict memory safety.
unsafe_rx = r"\bunsafe\b|@safe\b|@unchecked\b"
rows = [(rel(p), count(unsafe_rx, p)) for p in sources]
rows = [r for r in rows if r[1]]
out.append("| file | marked unsafe uses |")
out.append("|---|---:|")
for name, n in sorted(rows, key=lambda r: (-r[1], r[0])):
    out.append(f"| `{name}` | {n} |")
out.append(f"| **total, {len(rows)} files** | **{sum(n for _, n in rows)}** |")
out.append("")

inline = [(rel(p), count(r"@inline\(__always\)", p)) for p in sources]
inline = [r for r in inline if r[1]]
out.append(f"`@inline(__always)`: {sum(n for _, n in inline)} in {len(inline)} files"
           + (": " + ", ".join(f"`{n}` {c}" for n, c in sorted(inline)) if inline else "") + ".")
out.append("")

# Key spellings: each wire key of the envelope and the ledger line, as a quoted string in code. The keys are
# read from the two schemas themselves.
schemas = [root / "Sources/Attribution/EnvelopeKey.swift", root / "Sources/CostLedger/CostRecord+Keys.swift"]
keys = []
for schema in schemas:
    for name in re.findall(r'case \.\w+: return "([a-z0-9_]+)"', schema.read_text()):
        if name not in keys:
            keys.append(name)
out.append("Quoted spellings in `Sources` code of each key of the envelope and the ledger line (the schemas are "
           "`EnvelopeKey.swift` and `CostRecord+Keys.swift`; other files listed spell the same word for another "
           "format, such as a provider's usage export or the audit's report):")
out.append("")
out.append("| key | spellings | files |")
out.append("|---|---:|---|")
for key in keys:
    rx = r'(?<![A-Za-z0-9_\\])"' + re.escape(key) + r'"'
    where = [(p.name, count(rx, p)) for p in sources]
    where = [w for w in where if w[1]]
    files = ", ".join(f"`{n}`" + (f" ×{c}" if c > 1 else "") for n, c in where)
    out.append(f"| `{key}` | {sum(c for _, c in where)} | {files} |")
text = "\n".join(out) + "\n"

if "--check" in sys.argv:
    page = (root / "docs" / "architecture.md").read_text()
    m = re.search(r"<!-- counts:begin -->\n(.*?)<!-- counts:end -->", page, re.S)
    if not m or m.group(1) != text:
        sys.stderr.write("docs/architecture.md: the counts differ from the code; run "
                         "python3 .ci/architecture-counts.py and paste its output between the markers\n")
        sys.exit(1)
else:
    sys.stdout.write(text)
