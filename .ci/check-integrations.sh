#!/usr/bin/env bash
# Check: the nested package Integrations/ (swift-distributed-tracing, swift-log and swift-metrics bridges and the
# Hummingbird example, docs/integrations.md) is formatted, builds without warnings in its own code, and its tests
# pass.
#
# Its dependencies (Hummingbird, SwiftNIO, swift-prometheus and the rest) are built from scratch on a fresh
# clone. Measured in .ci/run on a fresh clone of f265989 on the 2-core machine with nothing else running,
# 2026-12-07 04:34 UTC: 123 s in all (the build 118.8 s; the 15 tests run in under a second). With five other
# builds beside it (load average 18 to 43) the same took 19 min 40 s, for 4 min 28 s of CPU time.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Integrations: swift format lint --strict"
swift format lint --strict --recursive Integrations/Sources Integrations/Tests Integrations/Examples \
    Integrations/Package.swift

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "== Integrations: swift build --package-path Integrations --build-tests"
swift build --package-path Integrations --build-tests 2>&1 | tee "$log" | tail -n 5
# The dependencies' own SwiftPM notices are theirs; a warning in this repository's code fails the check.
if grep -F "$(pwd)/" "$log" | grep -F "warning:"; then
    echo "error: Integrations: the build has warnings (above)" >&2
    exit 1
fi

echo "== Integrations: swift test --package-path Integrations --skip-build"
swift test --package-path Integrations --skip-build
