#!/usr/bin/env python3
"""verdict.py CSV WARMUP_S: the soak's verdict on its samples (tests/soak/soak.sh writes
the CSV, one row every 10 s; tests/integration/soak_verdict.sh feeds it crafted ones).
Prints a table and exits 0 when every figure held, 1 when one grew, 2 on a bad CSV.

Columns: elapsed_s, rss_kb, fds, threads, lag_ms (the most mxwatch_probe_loop_lag_seconds
of the window's scrapes), scrape_ms (the slowest scrape of the window), scrapes_ok,
scrapes_failed, series (sample lines on /metrics), attack (1 while slow HTTP clients run).

The rules. The rows after WARMUP_S are split in time into quarters; Q1 is the first, Q4 the
last. Each figure is the median of its quarter's rows taken outside an attack (all of the
quarter's rows when every one is inside), so a lone spike moves nothing and growth that
stays does. A soak fails when, from Q1 to Q4:
  RSS grows by more than 5 % and by more than 2048 kB (both);
  open fds grow by more than 2; threads by more than 1;
  the series on /metrics grow by more than 5 % and by more than 50;
  the loop lag's median rises by more than 50 ms, or any lag after warm-up reaches 1000 ms;
  the scrape time's median rises by more than 100 ms;
or when more than 1 % of all scrapes failed, or fewer than 8 rows follow the warm-up.
The slope columns (least squares over every steady row after warm-up, per hour) are
figures for the record, never a verdict: on short runs they are mostly noise.
"""
import csv
import statistics
import sys

COLS = ["elapsed_s", "rss_kb", "fds", "threads", "lag_ms", "scrape_ms", "scrapes_ok",
        "scrapes_failed", "series", "attack"]
MIN_ROWS = 8
# figure, label, allowed growth from Q1 to Q4 as (absolute, fraction of Q1): growth
# fails when it exceeds both
GROWTH = [
    ("rss_kb", "RSS (kB)", 2048, 0.05),
    ("fds", "open fds", 2, 0.0),
    ("threads", "threads", 1, 0.0),
    ("series", "series on /metrics", 50, 0.05),
    ("lag_ms", "loop lag (ms)", 50, 0.0),
    ("scrape_ms", "scrape time (ms)", 100, 0.0),
]
LAG_MAX_MS = 1000
FAILED_SCRAPES_MAX = 0.01


class BadInput(Exception):
    pass


def load(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            try:
                rows.append({c: float(r[c]) for c in COLS})
            except (KeyError, TypeError, ValueError):
                raise BadInput("%s: a row without every column %s: %s"
                               % (path, ",".join(COLS), r)) from None
    return rows


def steady(rows):
    calm = [r for r in rows if r["attack"] == 0]
    return calm or rows


def slope_per_hour(rows, col):
    xs = [r["elapsed_s"] for r in rows]
    ys = [r[col] for r in rows]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 0.0 if den == 0 else 3600 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den


def main(argv):
    if len(argv) != 3:
        raise BadInput("usage: verdict.py CSV WARMUP_S")
    try:
        warmup = float(argv[2])
    except ValueError:
        raise BadInput("WARMUP_S is not a number: %r" % argv[2]) from None
    rows = load(argv[1])
    post = [r for r in rows if r["elapsed_s"] > warmup]
    if len(post) < MIN_ROWS:
        print("verdict: FAIL: %d rows after the %.0f s warm-up, %d needed"
              % (len(post), warmup, MIN_ROWS))
        return 1
    start, end = warmup, post[-1]["elapsed_s"]
    q = (end - start) / 4
    q1 = steady([r for r in post if r["elapsed_s"] <= start + q])
    q4 = steady([r for r in post if r["elapsed_s"] >= end - q])
    print("soak verdict: %d rows over %.0f s, warm-up %.0f s; Q1 %.0f-%.0f s, Q4 %.0f-%.0f s"
          % (len(rows), rows[-1]["elapsed_s"], warmup, start, start + q, end - q, end))
    print("%-20s %11s %11s %10s %12s %20s  %s"
          % ("figure", "Q1 median", "Q4 median", "change", "slope/h", "fails above", "result"))
    failed = []
    for col, label, absolute, frac in GROWTH:
        a = statistics.median(r[col] for r in q1)
        b = statistics.median(r[col] for r in q4)
        limit = max(absolute, frac * a)
        bad = b - a > limit
        rule = "+%g" % absolute + (" and +%g %%" % (frac * 100) if frac else "")
        print("%-20s %11.1f %11.1f %+10.1f %+12.1f %20s  %s"
              % (label, a, b, b - a, slope_per_hour(steady(post), col), rule,
                 "FAIL" if bad else "ok"))
        if bad:
            failed.append(label)
    lag_max = max(r["lag_ms"] for r in post)
    bad = lag_max >= LAG_MAX_MS
    print("%-20s %11s %11.1f %10s %12s %20s  %s" % ("loop lag, max (ms)", "", lag_max, "", "",
          "%d" % LAG_MAX_MS, "FAIL" if bad else "ok"))
    if bad:
        failed.append("loop lag max")
    ok = sum(r["scrapes_ok"] for r in rows)
    bad_n = sum(r["scrapes_failed"] for r in rows)
    share = bad_n / (ok + bad_n) if ok + bad_n else 1.0
    bad = share > FAILED_SCRAPES_MAX
    print("%-20s %11s %11s %10s %12s %20s  %s" % ("scrapes failed", "%d" % bad_n,
          "of %d" % (ok + bad_n), "%.2f %%" % (100 * share), "",
          "%g %%" % (100 * FAILED_SCRAPES_MAX), "FAIL" if bad else "ok"))
    if bad:
        failed.append("scrapes failed")
    print("verdict: " + ("FAIL: " + ", ".join(failed) if failed else "PASS"))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, BadInput) as e:
        print("verdict: %s" % e, file=sys.stderr)
        sys.exit(2)
