#!/usr/bin/env bash
# The ledger on a really full disk (docs/reliability.md): a 256 KiB tmpfs filled to within a few KiB, then
# `ledger-crash-writer fill` writes 20 flushed batches of 8 records there under each durability setting.
#   1. The room comes back (the filler is removed after the first failed flush): the failed flush says
#      "no space left on the device", and every record is written later, exactly once, no torn line.
#   2. The room never comes back: `close()` fails naming how many records could not be written, the writer's
#      counts keep them (pending), so they are never silently lost, and the ledger holds exactly the records
#      counted durable (a batch cut short is taken off its file, leaving no torn line).
# The file-size-limit case (EFBIG) is in the tests (LedgerFullDiskTests), which need no mount.
#   3. `cost-audit html -o` and `export --focus -o` onto yesterday's files on the full disk: exit 1 naming the
#      full disk, yesterday's file unchanged and nothing left beside it (ReplacingFile), then replaced once there
#      is room.
#
#   .ci/full-disk.sh            needs root (mount -t tmpfs); prints "skipped" and exits 0 without it
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${SWIFT_BUILD_DIR:-$(swift build --show-bin-path)}
writer="$bin/ledger-crash-writer"
[ -x "$writer" ] || { echo "error: $writer: not built (run swift build --build-tests first)" >&2; exit 1; }
disk=$(mktemp -d "${TMPDIR:-/tmp}/full-disk.XXXXXX")
if ! mount -t tmpfs -o size=256k tmpfs "$disk" 2> /dev/null; then
    rmdir "$disk"
    echo "full-disk: skipped (mounting a tmpfs needs root)"
    exit 0
fi
trap 'umount "$disk"; rmdir "$disk"' EXIT

# Fills the disk to within about 8 KiB: less than the 20 batches take (about 40 KiB), more than a few.
fill_disk() {
    rm -rf "${disk:?}"/*
    head -c $((256 * 1024 - 8 * 1024)) /dev/zero > "$disk/filler" 2> /dev/null || true
}

for mode in none flush fsync concurrent; do
    fill_disk
    "$writer" fill "$disk/ledger" "$mode" --free "$disk/filler" > "$disk/out.txt"
    grep -q "no space left on the device" "$disk/out.txt" || {
        echo "error: full-disk ($mode): no write failed for want of room:" >&2
        cat "$disk/out.txt" >&2
        exit 1
    }
    grep -q "^closed$" "$disk/out.txt" || { cat "$disk/out.txt" >&2; exit 1; }
    grep -q "durable=160 dropped=0 pending=0" "$disk/out.txt" || { cat "$disk/out.txt" >&2; exit 1; }
    verify=$("$writer" verify "$disk/ledger")
    case "$verify" in
        *" 160 records read,"*" 0 duplicated,"*" 0 torn lines skipped,"*) ;;
        *) echo "error: full-disk ($mode): $verify" >&2; exit 1 ;;
    esac
    echo "full-disk: $mode, room given back: $(grep -c '^error ' "$disk/out.txt" || true) flushes failed" \
        "(\"$(grep -m1 -o 'write failed: [^"]*' "$disk/out.txt")\"), then all 160 records written, each once"

    fill_disk
    "$writer" fill "$disk/ledger" "$mode" > "$disk/out.txt"
    close_error=$(grep "^close error: " "$disk/out.txt" || true)
    case "$close_error" in
        *"records could not be"*"no space left on the device"*) ;;
        *) echo "error: full-disk ($mode): close did not report the records it could not write:" >&2
           cat "$disk/out.txt" >&2
           exit 1 ;;
    esac
    durable=$(grep -o 'durable=[0-9]*' "$disk/out.txt")
    pending=$(grep -o 'pending=[0-9]*' "$disk/out.txt")
    verify=$("$writer" verify "$disk/ledger")
    found=$(grep -o '[0-9]* records read' <<< "$verify")
    # Exactly the records counted durable are in the ledger: none of those reported as not written, no torn line.
    if [ "${found% records read}" != "${durable#durable=}" ] || ! grep -q " 0 torn lines skipped" <<< "$verify"; then
        echo "error: full-disk ($mode): $durable but $verify" >&2
        exit 1
    fi
    echo "full-disk: $mode, disk stays full: ${close_error#close error: }" | cut -c1-160
    echo "full-disk:   $durable $pending; $found"
done

# The tool's own outputs on the full disk: `html -o` and `export --focus -o` onto yesterday's files. Each fails
# (exit 1, "no space left on the device") and leaves yesterday's file as it was, with nothing else left behind;
# once there is room again, the same command replaces it.
tool="$bin/cost-audit"
[ -x "$tool" ] || { echo "error: $tool: not built (run swift build first)" >&2; exit 1; }
outputs=$(mktemp -d "${TMPDIR:-/tmp}/full-disk-outputs.XXXXXX")
trap 'umount "$disk"; rmdir "$disk"; rm -rf "$outputs"' EXIT
"$tool" demo "$outputs/demo" --quiet > /dev/null
config="$outputs/demo/cost-audit.json"
for command in "html --now 2026-12-01" "export --focus --since 2026-11-30"; do
    name=${command%% *}
    rm -rf "${disk:?}"/*
    echo "yesterday's $name" > "$disk/$name.out"
    head -c $((256 * 1024)) /dev/zero > "$disk/filler" 2> /dev/null || true
    status=0
    # shellcheck disable=SC2086
    "$tool" $command --config "$config" -o "$disk/$name.out" --quiet 2> "$outputs/err.txt" || status=$?
    if [ "$status" != 1 ] || ! grep -q "no space left on the device" "$outputs/err.txt"; then
        echo "error: full-disk ($name -o): exit $status, expected 1 and a full disk named:" >&2
        cat "$outputs/err.txt" >&2
        exit 1
    fi
    if [ "$(cat "$disk/$name.out")" != "yesterday's $name" ] || ls -A "$disk" | grep -q '\.tmp-'; then
        echo "error: full-disk ($name -o): the old output was changed, or a temporary file was left:" >&2
        ls -la "$disk" >&2
        exit 1
    fi
    rm "$disk/filler"
    # shellcheck disable=SC2086
    "$tool" $command --config "$config" -o "$disk/$name.out" --quiet
    [ "$(cat "$disk/$name.out")" != "yesterday's $name" ] || { echo "error: full-disk ($name -o): not replaced" >&2; exit 1; }
    echo "full-disk: $name -o on a full disk: $(cut -c1-110 "$outputs/err.txt"); yesterday's file kept, then replaced"
done
echo "full-disk: passed"
