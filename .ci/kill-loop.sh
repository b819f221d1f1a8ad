#!/usr/bin/env bash
# The ledger's crash loop (docs/reliability.md): starts a ledger writer, kills it with SIGKILL at a random
# moment while it appends, and again, N times (default 200), cycling through every durability setting (none,
# flush, fsync, fsync with concurrent syncs), every other kill with a clock that forces a daily rotation every
# few milliseconds. All writers share one ledger directory, as restarted workers do. Then every record whose
# flush returned (the writer acknowledges it on stdout only after that) must be in the ledger exactly once, no
# record twice; torn lines are reported with file and line by the reader and by `cost-audit audit`, not fatal.
#
#   .ci/kill-loop.sh [N]        N kills (default 200); .ci/run runs it with 20
#
# Needs the built `ledger-crash-writer` and `cost-audit` (`swift build --build-tests`, or SWIFT_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

kills=${1:-200}
if ! [[ "$kills" =~ ^[0-9]+$ ]] || [ "$kills" -lt 1 ]; then
    echo "usage: .ci/kill-loop.sh [N]   (N kills, at least 1)" >&2
    exit 64
fi
bin=${SWIFT_BUILD_DIR:-$(swift build --show-bin-path)}
writer="$bin/ledger-crash-writer"
tool="$bin/cost-audit"
for executable in "$writer" "$tool"; do
    if [ ! -x "$executable" ]; then
        echo "error: $executable: not built (run swift build --build-tests first)" >&2
        exit 1
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/kill-loop.XXXXXX")
trap 'rm -rf "$work"' EXIT
ledger="$work/ledger"
mkdir -p "$ledger" "$work/acks"
modes=(none flush fsync concurrent)
started=$SECONDS
stopped_early=0

for ((i = 1; i <= kills; i++)); do
    mode=${modes[$(((i - 1) % 4))]}
    rotation=()
    # Kills 5-8, 13-16, ...: each mode with a UTC day every 20 ms as well.
    if [ $((((i - 1) / 4) % 2)) -eq 1 ]; then rotation=(--day-ms 20); fi
    "$writer" "$ledger" "k$i" "$mode" "${rotation[@]}" > "$work/acks/k$i.txt" 2> "$work/k$i.err" &
    pid=$!
    # A random moment: 20 to 219 ms after the start (the writer appends from its first few milliseconds).
    sleep "0.$(printf '%03d' $((20 + RANDOM % 200)))"
    if ! kill -KILL "$pid" 2> /dev/null; then stopped_early=$((stopped_early + 1)); fi
    status=0
    # (Braces: the shell's "Killed" notice for the job goes to /dev/null, not the log.)
    { wait "$pid" || status=$?; } 2> /dev/null
    if [ "$status" -ne 137 ]; then
        echo "error: writer k$i ($mode${rotation[*]:+, ${rotation[*]}}) ended with status $status, not by the kill:" >&2
        cat "$work/k$i.err" >&2
        exit 1
    fi
done
elapsed=$((SECONDS - started))

echo "kill-loop: $kills writers killed with SIGKILL in ${elapsed} s (modes: ${modes[*]}; half with a forced day rotation)"
echo "kill-loop: $(ls "$ledger" | wc -l) ledger files"
"$writer" verify "$ledger" "$work"/acks/*.txt

# The audit reads the same ledger: torn lines are counted (and located), not fatal.
"$tool" audit "$ledger" --format json > "$work/audit.json"
python3 - "$work/audit.json" << 'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"kill-loop: cost-audit audit: {report['records']} records, {report['duplicates']} duplicates, "
      f"{report['skipped_lines']} skipped lines, recorded_usd {report['recorded_usd']}")
if report["duplicates"] != 0:
    sys.exit("error: the audit found duplicates")
EOF
echo "kill-loop: passed ($((SECONDS - started)) s in all)"
