#!/usr/bin/env bash
# Builds every fuzz target (libFuzzer + AddressSanitizer) and runs each for SECONDS (default 60), one after the
# other; fails when any target crashes, leaks, times out or runs out of memory. The input that did is saved in
# Fuzz/Regressions/<target>/ (keep it: the ordinary tests replay that folder, FuzzReplayTests). Run it from a
# clone whose folder is not named `fuzz`: SwiftPM knows a package by its folder's name, and Fuzz/ is `fuzz` too.
#
#   bash Fuzz/run.sh [SECONDS] [TARGET ...]
#
# SECONDS = 0 fuzzes nothing: each target runs once over every file of Fuzz/Corpus/<target>/ and
# Fuzz/Regressions/<target>/ (under the sanitizer; the quick check for CI). Inputs a run finds are kept in
# Fuzz/.work/<target>/ (not committed); `FUZZ_MERGE=1` adds those that reach new code to Fuzz/Corpus/<target>/.
# Prints one summary line per target: seeds, inputs after the run, executions, result.
set -euo pipefail

cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for main in Sources/*/main.swift; do targets+=("$(basename "$(dirname "$main")")"); done
fi

# FUZZ_CONFIGURATION=release builds with -O (several times the executions per second; preconditions and
# overflow checks stay on); debug by default, which builds faster.
flags=(-c "${FUZZ_CONFIGURATION:-debug}" -Xswiftc -sanitize=fuzzer,address)
# ld.gold warns "Cannot export local symbol" for libFuzzer's symbols; harmless, so not shown.
if ! swift build "${flags[@]}" >.build-fuzz.log 2>&1; then
    grep -v "Cannot export local symbol" .build-fuzz.log | tail -40
    exit 1
fi
bin=$(swift build "${flags[@]}" --show-bin-path)

# No leak check of the process's end state: the decoders' global tables live for the process.
options=(-timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1)
# A trap's message is enough; the Swift runtime's backtracer, run under AddressSanitizer, reports itself.
export SWIFT_BACKTRACE=enable=no
failed=()
printf '%-18s %8s %8s %12s  %s\n' target seeds after executions result
for target in "${targets[@]}"; do
    mkdir -p "Corpus/$target" "Regressions/$target" ".work/$target"
    seeds=$(find "Corpus/$target" -type f | wc -l)
    log=".work/$target.log"
    status=0
    if [ "$seconds" = 0 ]; then
        "$bin/$target" "${options[@]}" -runs=0 -artifact_prefix=".work/$target-" \
            "Corpus/$target" "Regressions/$target" >"$log" 2>&1 || status=$?
    else
        "$bin/$target" "${options[@]}" -max_total_time="$seconds" -artifact_prefix="Regressions/$target/" \
            ".work/$target" "Corpus/$target" "Regressions/$target" >"$log" 2>&1 || status=$?
        if [ "$status" = 0 ] && [ "${FUZZ_MERGE:-0}" = 1 ]; then
            "$bin/$target" -merge=1 "Corpus/$target" ".work/$target" >>"$log" 2>&1 || status=$?
        fi
    fi
    after=$(find "Corpus/$target" ".work/$target" -type f | wc -l)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$status" = 0 ]; then
        result=ok
    else
        result="FAILED (exit $status, see Fuzz/$log)"
        failed+=("$target")
    fi
    printf '%-18s %8s %8s %12s  %s\n' "$target" "$seeds" "$after" "${runs:-?}" "$result"
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing failed: ${failed[*]}; inputs saved in Fuzz/Regressions/<target>/" >&2
    for target in "${failed[@]}"; do grep -E "ERROR|Fatal error|SUMMARY|Test unit written" ".work/$target.log" >&2 || true; done
    exit 1
fi
