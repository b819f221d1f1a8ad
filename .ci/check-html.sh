#!/usr/bin/env bash
# Check: `cost-audit html` writes one self-contained page that a real browser renders without errors.
#
# It installs Chromium from Debian's packages when the machine lacks it (`apt-get update`, then
# `apt-get install chromium`: about 290 MB), builds the tool, makes the demo (`cost-audit demo`), writes the
# demo's dashboard (`cost-audit html --now 2026-12-01 -o ...`), and renders it headless to a PNG 1366 px wide
# (`chromium --headless --screenshot --window-size=1366,3000`). It fails when:
#   - the browser logged a console message (the page has no script, so any CONSOLE line is an error: a blocked
#     or failed load, a parse error) or a network error (net::ERR_...);
#   - the page refers to anything outside itself (src=, an href that is not a #anchor, url(, @import, http:);
#   - the page lacks one of its 7 charts (<svg ...>) or one of its sections, or is over 2 MB;
#   - the PNG is missing or blank (under 50 KB: a blank 1366 x 3000 page is a few KB).
# With --update-image it copies the PNG to docs/images/dashboard.png (the README's picture).
#
# Run time on the 2-core machine, measured 2026-12-07: 12 s once Chromium is installed and the tool is built
# (build check 1 s, demo 8 s, page 1 s, render 2 s). A machine without Chromium adds apt-get update and the
# install of the package and its dependencies (about 290 MB to download); that was not timed in this run.
set -euo pipefail
cd "$(dirname "$0")/.."

update_image=0
if [ "${1:-}" = "--update-image" ]; then update_image=1; fi

if ! command -v chromium > /dev/null 2>&1; then
    echo "== installing chromium (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium > /dev/null
fi

echo "== building cost-audit"
swift build --product cost-audit 2>&1 | tail -1
tool="$(swift build --show-bin-path)/cost-audit"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== demo and page"
"$tool" demo "$work/demo" --quiet > /dev/null
"$tool" html --config "$work/demo/cost-audit.json" --now 2026-12-01 -o "$work/dashboard.html" --quiet
page="$work/dashboard.html"
png="$work/dashboard.png"

failed=0
fail() { echo "FAIL: $1"; failed=1; }

bytes=$(wc -c < "$page")
echo "page: $bytes bytes"
[ "$bytes" -le 2097152 ] || fail "the page is over 2 MB ($bytes bytes)"
charts=$(grep -o '<svg ' "$page" | wc -l)
echo "charts: $charts"
[ "$charts" -eq 7 ] || fail "expected 7 charts (<svg), found $charts"
for section in headline alerts spend unknown per-user top tools; do
    grep -q "<section id=\"$section\">" "$page" || fail "missing section #$section"
done
if grep -Eo 'src=|href="[^#][^"]*"|url\(|@import|https?:' "$page" | head -5 | grep -q .; then
    fail "the page refers to something outside itself: $(grep -Eo 'src=|href="[^#][^"]*"|url\(|@import|https?:' "$page" | head -3 | tr '\n' ' ')"
fi

echo "== rendering headless at 1366 px"
# Chromium's own environment complaints (no D-Bus, no GPU) are on stderr too; only the page's console messages
# and network errors count.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0 \
    --screenshot="$png" --window-size=1366,3000 "file://$page" > "$work/browser.log" 2>&1 || true
if grep -E 'CONSOLE|net::ERR_' "$work/browser.log"; then
    fail "the browser reported errors (above)"
fi
if [ ! -f "$png" ]; then
    fail "no screenshot written"
    sed -n '1,20p' "$work/browser.log"
else
    png_bytes=$(wc -c < "$png")
    echo "screenshot: $png_bytes bytes"
    [ "$png_bytes" -ge 51200 ] || fail "the screenshot looks blank ($png_bytes bytes)"
    if [ "$update_image" -eq 1 ]; then
        mkdir -p docs/images
        cp "$png" docs/images/dashboard.png
        echo "updated docs/images/dashboard.png"
    fi
fi

if [ "$failed" -ne 0 ]; then
    echo "check-html: FAILED"
    exit 1
fi
echo "check-html: ok"
