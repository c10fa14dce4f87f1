#!/usr/bin/env bash
# The whole suite: every unit test binary under $BUILD/tests, then every integration test
# tests/integration/*.sh, each under its own time limit. Prints one line per test and ends
# with the single summary line "N passed, N failed"; exits non-zero on any failure.
# Called by `make test`. TESTS=pattern runs only the tests whose name matches.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD MXW_TOP=$PWD
OUT=${MXW_TEST_OUT:-$PWD/tests/out}
rm -rf "$OUT" && mkdir -p "$OUT/unit" "$OUT/integration"
export MXW_TEST_OUT=$OUT
pattern=${TESTS:-}
passed=0 failed=0 failures=()

run_one() { # name limit cmd...
    local name=$1 limit=$2 start rc
    shift 2
    [ -n "$pattern" ] && [[ $name != *$pattern* ]] && return 0
    start=$EPOCHREALTIME
    timeout --kill-after=5 "$limit" "$@" >"$OUT/$name.log" 2>&1
    rc=$?
    local took
    took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   $name (${took}s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        [ $rc -eq 124 ] && echo "FAIL $name (timed out after ${limit}s)" || echo "FAIL $name (exit $rc, ${took}s)"
        # The test's own verdict first (it precedes the logs its cleanup prints), then the tail.
        grep -m3 '^FAIL: ' "$OUT/$name.log" | sed 's/^/     | /'
        tail -n 25 "$OUT/$name.log" | sed 's/^/     | /'
    fi
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && [ "${t%.d}" = "$t" ] || continue
    run_one "unit/$(basename "$t")" 60 "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    limit=$(sed -n 's/^# timeout: *\([0-9]*\).*/\1/p' "$t" | head -n1)
    run_one "integration/$(basename "$t" .sh)" "${limit:-120}" bash "$t"
done

[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
