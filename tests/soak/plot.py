#!/usr/bin/env python3
"""plot.py CSV WARMUP_S SVG [TITLE]: the soak's curve as an SVG (tests/soak/soak.sh calls it
next to the CSV; docs/RELIABILITY.md shows one). Three stacked panels against minutes:
RSS in MB, open fds, loop lag in ms; the warm-up is shaded grey and the slow-client attacks
(rows with attack=1) are marked in red along each panel's foot. Standard library only: no
plotting package is installed on the test machine.
"""
import csv
import math
import sys
from xml.sax.saxutils import escape

W, PANEL_H, GAP, LEFT, RIGHT, TOP = 900, 190, 46, 70, 20, 40
# column, label, scale, the least span of the y axis (so noise never fills a panel)
PANELS = [("rss_kb", "RSS (MB)", 1 / 1024, 2), ("fds", "open fds", 1, 10),
          ("lag_ms", "loop lag (ms)", 1, 10)]


def nice_ticks(lo, hi, n=5):
    """Round tick values covering lo..hi (hi > lo)."""
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 2)
            if first + i * step <= hi + step * 1e-9]


def y_range(vals, span):
    lo, hi = min(vals), max(vals)
    if hi - lo < span:
        mid = (lo + hi) / 2
        lo, hi = mid - span / 2, mid + span / 2
    pad = (hi - lo) * 0.1
    return max(0.0, lo - pad) if lo >= 0 else lo - pad, hi + pad


def panel(out, top, rows, spec, warmup_min, xmax):
    col, label, scale, span = spec
    pw, x0 = W - LEFT - RIGHT, LEFT
    xs = [float(r["elapsed_s"]) / 60 for r in rows]
    ys = [float(r[col]) * scale for r in rows]
    lo, hi = y_range(ys, span)

    def px(x):
        return x0 + pw * x / xmax

    def py(y):
        return top + PANEL_H - PANEL_H * (y - lo) / (hi - lo)

    out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#eee"/>'
               % (x0, top, px(min(warmup_min, xmax)) - x0, PANEL_H))
    for x, r in zip(xs, rows):
        if float(r["attack"]):
            out.append('<rect x="%.1f" y="%d" width="2" height="6" fill="#c33"/>'
                       % (px(x) - 1, top + PANEL_H - 6))
    for t in nice_ticks(lo, hi):
        if lo <= t <= hi:
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>'
                       % (x0, x0 + pw, py(t), py(t)))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>'
                       % (x0 - 6, py(t) + 4, round(t, 6)))
    for t in nice_ticks(0, xmax):
        if t <= xmax:
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%g</text>'
                       % (px(t), top + PANEL_H + 16, t))
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>'
               % (x0, top, pw, PANEL_H))
    out.append('<polyline fill="none" stroke="#1f5fa8" stroke-width="1.5" points="%s"/>'
               % " ".join("%.1f,%.1f" % (px(x), py(y)) for x, y in zip(xs, ys)))
    out.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (x0, top - 6, label))


def main(argv):
    if len(argv) not in (4, 5):
        sys.exit(__doc__)
    with open(argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    if len(rows) < 2:
        sys.exit("plot.py: fewer than two rows in %s" % argv[1])
    warmup_min = float(argv[2]) / 60
    xmax = max(float(rows[-1]["elapsed_s"]) / 60, 1e-3)
    h = TOP + len(PANELS) * (PANEL_H + GAP) + 10
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (W, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14">%s</text>'
           % (LEFT, escape(argv[4] if len(argv) == 5 else "mxwatch soak")),
           '<text x="%d" y="20" text-anchor="end" fill="#666">minutes; grey: warm-up; '
           'red ticks: slow-client attacks</text>' % (W - RIGHT)]
    for i, spec in enumerate(PANELS):
        panel(out, TOP + 14 + i * (PANEL_H + GAP), rows, spec, warmup_min, xmax)
    out.append("</svg>")
    with open(argv[3], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv)
