#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (called by `make fuzz`). New inputs go to a work
# corpus under the build folder; the committed seeds in tests/fuzz/corpus/NAME are read
# only. A crash leaves its input as DIR/crash-NAME-*; add a minimised copy to the committed
# corpus so tests/unit/test_fuzz_corpus.c replays it in `make test` from then on. To add
# the inputs of a run that reach new code to the committed corpus:
#   build/fuzz/fuzz_NAME -merge=1 tests/fuzz/corpus/NAME build/fuzz/corpus-NAME
# Usage: tests/fuzz/run.sh BUILD_FUZZ_DIR SECONDS
set -euo pipefail
dir=$1
secs=${2:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
rc=0
for name in dns_mx config; do
    bin=$dir/fuzz_$name
    work=$dir/corpus-$name
    mkdir -p "$work"
    echo "fuzz: $name for ${secs}s"
    # -max_len bounds one input: a DNS message fits in 4 KiB here, a config's interesting
    # structure in 8 KiB; -timeout flags an input that takes over 10 s.
    max=4096
    [ $name = config ] && max=8192
    if "$bin" -max_total_time="$secs" -max_len=$max -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$dir/crash-$name-" "$work" "$top/tests/fuzz/corpus/$name" \
        >"$dir/fuzz-$name.log" 2>&1; then
        grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ *DONE' "$dir/fuzz-$name.log" |
            sed "s/^/  $name: /"
        echo "  $name: corpus $(ls "$work" | wc -l) inputs, no crash"
    else
        rc=1
        echo "  $name: FAILED, see $dir/fuzz-$name.log"
        grep -E 'ERROR|SUMMARY|crash-' "$dir/fuzz-$name.log" | head -n 5 | sed "s/^/  /"
    fi
done
exit $rc
