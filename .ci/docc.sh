#!/usr/bin/env bash
# Check: the six DocC catalogs (Attribution, CostLedger, CostAudit, CostReports, CostAuditSQL, SQLiteJobQueue)
# build with the toolchain's own docc without a warning or error.
#
# It builds the package (`swift build`, which makes the .swiftmodule files), extracts each module's public
# symbol graph with `swift symbolgraph-extract`, then runs `docc convert` on each module's catalog with that
# module's symbol graphs. A catalog with any docc diagnostic (`warning:` or `error:`) has its docc output printed,
# and the script then exits 1. Only toolchain tools are used; all output goes to a temporary directory.
#
# Run time on the 2-core CI machine, measured: 7-8 s when .build is up to date (the four extractions and
# conversions), up to 20 s while other builds share the cores; 51 s from a fresh clone (the `swift build`).
set -euo pipefail
cd "$(dirname "$0")/.."

modules=(Attribution CostLedger CostAudit CostReports CostAuditSQL SQLiteJobQueue)

swift build
bin_path="$(swift build --show-bin-path)"
modules_dir="$bin_path/Modules"
if [ ! -d "$modules_dir" ]; then
    # Older layouts keep the .swiftmodule files directly in the bin directory.
    modules_dir="$bin_path"
fi
triple="$(basename "$(dirname "$bin_path")")"
case "$triple" in
    *-*-*) ;;
    *) triple="$(swift -print-target-info | sed -n 's/.*"triple": "\(.*\)".*/\1/p' | head -1)" ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=0
for module in "${modules[@]}"; do
    graphs="$work/graphs/$module"
    mkdir -p "$graphs"
    # SQLiteJobQueue imports the system library module CSQLite: its module map is in Sources/CSQLite.
    swift symbolgraph-extract \
        -module-name "$module" \
        -target "$triple" \
        -I "$modules_dir" \
        -I Sources/CSQLite \
        -minimum-access-level public \
        -skip-inherited-docs \
        -output-dir "$graphs" > "$work/$module-extract.log" 2>&1 || {
        echo "symbolgraph-extract failed for $module:" >&2
        cat "$work/$module-extract.log" >&2
        exit 1
    }
    docc convert "Sources/$module/Docs.docc" \
        --additional-symbol-graph-dir "$graphs" \
        --fallback-display-name "$module" \
        --fallback-bundle-identifier "swift-cost-attribution.$module" \
        --output-path "$work/$module.doccarchive" > "$work/$module-docc.log" 2>&1 || {
        echo "docc convert failed for $module:" >&2
        cat "$work/$module-docc.log" >&2
        exit 1
    }
    # docc starts each diagnostic line with its severity and follows it with the source lines it concerns;
    # paths in it are relative to the catalog.
    count="$(grep -cE "^(warning|error):" "$work/$module-docc.log" || true)"
    echo "$module: $count docc warning(s)/error(s)"
    if [ "$count" -gt 0 ]; then
        echo "--- docc convert Sources/$module/Docs.docc:"
        cat "$work/$module-docc.log"
        failed=1
    fi
done

if [ "$failed" -ne 0 ]; then
    echo "the DocC catalogs built with warnings or errors (above)" >&2
    exit 1
fi
echo "DocC: the six catalogs built without warnings"
