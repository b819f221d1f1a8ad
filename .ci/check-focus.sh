#!/usr/bin/env bash
# Check: `cost-audit export --focus` writes FOCUS 1.2 rows that the FinOps Foundation's focus-validator accepts.
#
# It creates (once) a Python 3.12 virtual environment under the cache directory
# (${XDG_CACHE_HOME:-~/.cache}/swift-cost-attribution/focus-validator-2.2.1), kept apart from anything else
# because the validator pins DuckDB, and installs focus-validator 2.2.1 from PyPI with numpy<2 and pyarrow<17
# pinned beside it (it needs both). It then builds the tool, makes the demo (`cost-audit demo`), exports FOCUS
# from it, and runs the validator with `--validate-version 1.2 --block-download` from the venv's site-packages
# folder (the validator opens `focus_validator/rules/...` relative to the working directory).
#
# The validator exits 0 even when rules fail, so the script reads the `Fail: N` count of its summary and the
# rule ids under `--- Failures ---`. It passes when every failed rule is in KNOWN_VALIDATOR_DEFECTS below, and
# fails on any other. There is one: focus-validator 2.2.1 checks both branches of InvoiceId's nullability
# ("MUST be null when the charge is not associated with an invoice" / "MUST NOT be null when it is") on every
# row, without their conditions, so every dataset that has rows fails one of the two (an all-NULL InvoiceId
# fails InvoiceId-C-005-C, an all-filled one InvoiceId-C-004-C), and leaving the RECOMMENDED column out fails
# seven rules instead. The export writes InvoiceId NULL (the ledger knows no invoice), so its summary says
# `Fail: 1`, that rule; docs/reports.md ("export --focus") shows the output. Both rules come from FOCUS's
# requirements model as the validator ships it (focus_validator/rules/model-1.2.0.1.json), each with an empty
# "Condition"; the validator's own OR of the two, InvoiceId-C-003-C, passes, and so does the column's root rule
# InvoiceId-C-000-O: the script checks that both pass (KNOWN_DEFECT_COMPOSITES), so a wrong InvoiceId still
# fails it. The FOCUS working group tracks this class of false positive (conditional nullability enforced
# without its condition) in FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec#2394.
#
# Run time on the 2-core machine, measured: 1 min 57 s the first time (the venv and the pip install, 1 min 43 s;
# the validator 15 s); 22 s once the venv exists and the tool is built (build check 2 s, demo and export 5 s,
# validator 15 s).
set -euo pipefail
cd "$(dirname "$0")/.."

KNOWN_VALIDATOR_DEFECTS="InvoiceId-C-005-C"
KNOWN_DEFECT_COMPOSITES="InvoiceId-C-003-C InvoiceId-C-000-O"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/swift-cost-attribution"
venv="$cache/focus-validator-2.2.1"

find_python() {
    local root candidate
    root="$(pyenv root 2> /dev/null || echo "$HOME/.pyenv")"
    for candidate in "$root"/versions/3.12*/bin/python3.12 "$root"/versions/3.12*/bin/python3; do
        if [ -x "$candidate" ]; then
            echo "$candidate"
            return
        fi
    done
    if command -v python3.12 > /dev/null; then
        command -v python3.12
        return
    fi
    echo "error: no Python 3.12 found (pyenv versions 3.12.x, or python3.12 on PATH)" >&2
    exit 1
}

if ! "$venv/bin/python" -c "import focus_validator" 2> /dev/null; then
    echo "== creating $venv (Python 3.12, focus-validator 2.2.1, numpy<2, pyarrow<17)"
    rm -rf "$venv"
    mkdir -p "$cache"
    "$(find_python)" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "focus-validator==2.2.1" "numpy<2" "pyarrow<17"
fi
site_packages="$("$venv/bin/python" -c 'import focus_validator, os; print(os.path.dirname(os.path.dirname(focus_validator.__file__)))')"

echo "== build cost-audit"
swift build --product cost-audit
tool="$(swift build --show-bin-path)/cost-audit"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== demo and export --focus"
"$tool" demo "$work/demo" --quiet > /dev/null
"$tool" export --focus --config "$work/demo/cost-audit.json" -o "$work/focus.csv"
echo "   $(($(wc -l < "$work/focus.csv") - 1)) rows"

echo "== focus-validator 2.2.1 --validate-version 1.2 --block-download"
(cd "$site_packages" && "$venv/bin/focus-validator" --data-file "$work/focus.csv" --validate-version 1.2 \
    --block-download > "$work/validator.txt" 2>&1) || {
    cat "$work/validator.txt"
    echo "error: focus-validator failed to run" >&2
    exit 1
}
summary="$(grep -E '^Total: [0-9]+ \| Pass: [0-9]+ \| Fail: [0-9]+ \| Skipped: [0-9]+$' "$work/validator.txt" || true)"
if [ -z "$summary" ]; then
    cat "$work/validator.txt"
    echo "error: focus-validator printed no summary line" >&2
    exit 1
fi
echo "   $summary"
failed="$(sed -n '/^--- Failures ---$/,$p' "$work/validator.txt" | sed -n 's/^- \([A-Za-z]*-[A-Z]-[0-9]*-[A-Z]\): .*/\1/p')"
count="$(echo "$summary" | sed 's/.*Fail: \([0-9]*\).*/\1/')"
unexpected=""
for rule in $failed; do
    case " $KNOWN_VALIDATOR_DEFECTS " in
        *" $rule "*) echo "   known validator defect: $rule (see the header of this script)" ;;
        *) unexpected="$unexpected $rule" ;;
    esac
done
listed="$(echo "$failed" | grep -c . || true)"
# The defect stays a defect only while the validator's own OR of the two nullability rules, and the column's
# root rule, pass: were either to fail, the export's InvoiceId would be wrong.
for rule in $KNOWN_DEFECT_COMPOSITES; do
    if ! grep -q "^✅ $rule: PASS" "$work/validator.txt"; then
        grep "$rule" "$work/validator.txt" || true
        echo "error: $rule did not pass: the known defect no longer explains the failure" >&2
        exit 1
    fi
    echo "   $rule: PASS"
done
if [ -n "$unexpected" ] || [ "$listed" != "$count" ]; then
    sed -n '/^--- Failures ---$/,$p' "$work/validator.txt"
    echo "error: focus-validator failed rules beyond the known defects:${unexpected:- (the failure list does not match Fail: $count)}" >&2
    exit 1
fi
echo "== FOCUS export: no failed rule but the known validator defects"
