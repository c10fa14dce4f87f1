#!/usr/bin/env bash
# Runs libFuzzer targets one after another, each for SECONDS (called by `make fuzz`, which
# passes every target of FUZZ_TARGETS). New inputs go to a work corpus under the build
# folder; the committed seeds in tests/fuzz/corpus/NAME are read only. A crash leaves its
# input as DIR/crash-NAME-*; add a minimised copy to the committed corpus so `make test`
# replays it from then on (tests/unit/LAYER/test_fuzz_LAYER.c). To add the inputs of a run
# that reach new code to the committed corpus:
#   build/fuzz/fuzz_NAME -merge=1 tests/fuzz/corpus/NAME build/fuzz/corpus-NAME
# Prints, per target, libFuzzer's last status line (executions, cov, ft) and its stats.
# Usage: tests/fuzz/run.sh BUILD_FUZZ_DIR SECONDS NAME...
set -euo pipefail
dir=$1
secs=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)

# -max_len bounds one input: what one parse of that kind needs to reach its interesting
# structure (a DNS message in 4 KiB, a config in 8 KiB, a gateway page past its 32 KiB cap,
# a queue listing of a few records); -timeout flags an input that takes over 10 s.
max_len() {
    case $1 in
    hostport | gwvalue | logstate | admin_headers | ui_query | agentx) echo 1024 ;;
    config | webauth | transport | admin_request | sockdiag | pflog) echo 8192 ;;
    gwxml) echo 40000 ;;
    pfqueue | pfdefer | smtp_reply | lineasm) echo 16384 ;;
    *) echo 4096 ;;
    esac
}

rc=0
for name in "$@"; do
    bin=$dir/fuzz_$name
    work=$dir/corpus-$name
    log=$dir/fuzz-$name.log
    mkdir -p "$work"
    echo "fuzz: $name for ${secs}s"
    if "$bin" -max_total_time="$secs" -max_len="$(max_len "$name")" -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$dir/crash-$name-" "$work" \
        "$top/tests/fuzz/corpus/$name" >"$log" 2>&1; then
        grep -E '^#[0-9]+' "$log" | tail -n 1 | sed "s/^/  $name: /"
        grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" | sed "s/^/  $name: /"
        echo "  $name: corpus $(ls "$work" | wc -l) inputs, no crash"
    else
        rc=1
        echo "  $name: FAILED, see $log"
        grep -E 'ERROR|SUMMARY|promise broken|crash-' "$log" | head -n 5 | sed "s/^/  /"
    fi
done
exit $rc
