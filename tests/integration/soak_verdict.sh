#!/usr/bin/env bash
# timeout: 30
# soak_verdict: the soak's verdict (tests/soak/verdict.py) fails a leak and only a leak, on
# crafted one-hour CSVs (a row every 10 s, warm-up 600 s): flat figures with noise pass; a
# leak of 1 kB per scrape (10 kB a row, 3.5 MB over the hour), an fd leaked at every reload,
# a thread at every reload, and a loop lag that creeps up each fail on that figure alone;
# attack spikes (fds 90, RSS +5 MB, on rows marked attack=1) pass; a run with too few rows
# after warm-up fails; a CSV missing a column is refused (exit 2). tests/soak/plot.py draws
# the flat one as an SVG with its three panels. Needs no agent: python3 only.
source "$(dirname "$0")/../lib/common.sh"
V=$MXW_TOP/tests/soak/verdict.py

# csv FILE AWK_EXPR_FOR_ROW: 360 rows; the expression may change rss, fds, thr, lag, att
# from row i (1..360) before the row is printed.
csv() {
    awk -v body="$2" 'BEGIN {
        print "elapsed_s,rss_kb,fds,threads,lag_ms,scrape_ms,scrapes_ok,scrapes_failed,series,attack"
    }' >"$1"
    awk "BEGIN { srand(11); for (i = 1; i <= 360; i++) {
        rss = 19800 + int(rand() * 300); fds = 28 + int(rand() * 2); thr = 4; lag = 1 + int(rand() * 5)
        att = 0; $2
        printf \"%d,%d,%d,%d,%d,%d,10,0,407,%d\\n\", i * 10, rss, fds, thr, lag, 2 + int(rand() * 6), att
    } }" >>"$1"
}

expect() { # RC FILE WHAT [FAILING_FIGURE]
    run_capture python3 "$V" "$2" 600
    [ "$RC" = "$1" ] || fail "$3: verdict exit $RC, expected $1: $OUT"
    if [ -n "${4:-}" ]; then
        assert_contains "$OUT" "verdict: FAIL: $4" "$3"
        [ "$(grep -c ' FAIL$' <<<"$OUT")" = 1 ] || fail "$3: more than $4 failed: $OUT"
    fi
    note "$3: exit $RC"
}

csv "$T/flat.csv" ""
expect 0 "$T/flat.csv" "flat figures with noise"
assert_contains "$OUT" "verdict: PASS" "the flat verdict"

csv "$T/rss.csv" "rss += i * 10"
expect 1 "$T/rss.csv" "1 kB leaked per scrape" "RSS (kB)"
csv "$T/fds.csv" "fds += int(i / 6)"
expect 1 "$T/fds.csv" "an fd leaked per reload" "open fds"
csv "$T/thr.csv" "thr += int(i / 6)"
expect 1 "$T/thr.csv" "a thread leaked per reload" "threads"
csv "$T/lag.csv" "lag += i / 3"
expect 1 "$T/lag.csv" "a creeping loop lag" "loop lag (ms)"
csv "$T/stall.csv" "if (i == 200) lag = 1500"
expect 1 "$T/stall.csv" "one 1.5 s stall" "loop lag max"
csv "$T/spikes.csv" "if (i % 30 < 4) { att = 1; fds = 90; rss += 5000 }"
expect 0 "$T/spikes.csv" "attack spikes that go away"

head -n 62 "$T/flat.csv" >"$T/short.csv"
expect 1 "$T/short.csv" "a run that ends at 610 s"
assert_contains "$OUT" "rows after the 600 s warm-up" "the short run's verdict"
cut -d, -f1-9 "$T/flat.csv" >"$T/nocol.csv"
expect 2 "$T/nocol.csv" "a CSV without the attack column"

python3 "$MXW_TOP/tests/soak/plot.py" "$T/flat.csv" 600 "$T/flat.svg" || fail "plot.py failed"
assert_eq 3 "$(grep -c '<polyline' "$T/flat.svg")" "curves in the SVG"
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$T/flat.svg" ||
    fail "the SVG is not well-formed XML"
echo "ok"
