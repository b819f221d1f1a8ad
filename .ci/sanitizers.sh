#!/usr/bin/env bash
# The test suite under AddressSanitizer (with LeakSanitizer) and ThreadSanitizer.
#
#   bash .ci/sanitizers.sh [address|thread|all] [extra swift test arguments, e.g. --filter CostLedgerTests]
#
# Each sanitizer builds into its own scratch directory (.build/sanitize-address, .build/sanitize-thread), so the
# ordinary debug build is left alone and a second run only rebuilds what changed. A run fails when a test fails or
# when the sanitizer reports anything: a memory error, a leak that is not in .ci/lsan-suppressions.txt, a data
# race. The thread run compiles with -D SANITIZER_LOCKS, which makes the package's `Lock` (Sources/Attribution/
# Lock.swift) hold a pthread mutex that ThreadSanitizer sees; without it every `Synchronization.Mutex` section is
# reported as a race. Times measured on this 2-core machine are in docs/reliability.md ("Sanitizers").
set -euo pipefail
cd "$(dirname "$0")/.."

which_runs=${1:-all}
shift || true
case "$which_runs" in
address) sanitizers=(address) ;;
thread) sanitizers=(thread) ;;
all) sanitizers=(address thread) ;;
*)
    echo "usage: bash .ci/sanitizers.sh [address|thread|all] [swift test arguments]" >&2
    exit 64
    ;;
esac

logs=${SANITIZER_LOGS:-/tmp/sanitizers}
mkdir -p "$logs"
failed=()

for sanitizer in "${sanitizers[@]}"; do
    scratch=.build/sanitize-$sanitizer
    flags=(--sanitize="$sanitizer" --scratch-path "$scratch")
    if [ "$sanitizer" = thread ]; then
        flags+=(-Xswiftc -DSANITIZER_LOCKS)
    fi
    # Every process the tests start (cost-audit, the examples, the crash writer) is built with the same sanitizer
    # and inherits these settings. The leak suppressions name only the toolchain's own leaks (XCTest,
    # Foundation.Process); the file says why each is there.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
    export LSAN_OPTIONS="suppressions=$PWD/.ci/lsan-suppressions.txt:print_suppressions=0"
    export TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1

    start=$SECONDS
    echo "== $sanitizer sanitizer: build ($scratch)"
    build_log=$logs/$sanitizer-build.log
    if ! swift build --build-tests "${flags[@]}" > "$build_log" 2>&1; then
        tail -40 "$build_log"
        echo "the $sanitizer-sanitizer build failed (log: $build_log)" >&2
        failed+=("$sanitizer build")
        continue
    fi
    echo "   (build: $((SECONDS - start)) s)"

    start=$SECONDS
    echo "== $sanitizer sanitizer: tests"
    test_log=$logs/$sanitizer-test.log
    status=0
    swift test --skip-build "${flags[@]}" "$@" > "$test_log" 2>&1 || status=$?
    races=$(grep -c "WARNING: ThreadSanitizer" "$test_log" || true)
    memory=$(grep -c "ERROR: AddressSanitizer" "$test_log" || true)
    leaks=$(grep -c "ERROR: LeakSanitizer" "$test_log" || true)
    grep -E "^(Test run with|✘|✔ Test run|Executed [0-9]+ tests)" "$test_log" | tail -5 || true
    echo "   (tests: $((SECONDS - start)) s; exit $status; ThreadSanitizer warnings: $races;" \
        "AddressSanitizer errors: $memory; LeakSanitizer reports: $leaks; log: $test_log)"
    if [ "$status" -ne 0 ] || [ "$races" -ne 0 ] || [ "$memory" -ne 0 ] || [ "$leaks" -ne 0 ]; then
        grep -E -A30 "WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer" "$test_log" | head -120 || true
        failed+=("$sanitizer tests")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "sanitizer runs failed: ${failed[*]}" >&2
    exit 1
fi
echo "sanitizer runs clean: ${sanitizers[*]}"
