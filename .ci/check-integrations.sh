#!/usr/bin/env bash
# Check: the nested package Integrations/ (swift-distributed-tracing, swift-log and swift-metrics bridges and the
# Hummingbird example, docs/integrations.md) builds without warnings in its own code and its tests pass.
#
# Its dependencies (Hummingbird, SwiftNIO, swift-prometheus and the rest) are built from scratch on a fresh
# clone. Run time on the 2-core machine, measured: MEASURED_PLACEHOLDER
set -euo pipefail
cd "$(dirname "$0")/.."

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "== Integrations: swift build --package-path Integrations --build-tests"
swift build --package-path Integrations --build-tests 2>&1 | tee "$log" | tail -n 5
# The dependencies' own SwiftPM notices are theirs; a warning in this repository's code fails the check.
if grep -E "^$(pwd)/.*warning:" "$log"; then
    echo "error: Integrations: the build has warnings (above)" >&2
    exit 1
fi

echo "== Integrations: swift test --package-path Integrations"
swift test --package-path Integrations
