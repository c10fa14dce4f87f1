#!/usr/bin/env python3
"""sessions.py: per-listener session figures from an mxw-smtpd event log (--log).

For every listener it prints one line "LISTENER max_per_60s=N max_at_once=M total=T": the
most sessions that began in any 60 s window, the most that were open at the same time, and
all sessions. Used by the politeness tests of the probe engine.
Usage: sessions.py EVENT_LOG
"""
import re
import sys
from datetime import datetime

LINE = re.compile(r"^ts=(\S+) .*?conn=(\d+) listener=(\S+) .*?event=(connect|close)")


def main():
    events = {}
    for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        ts = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
        events.setdefault(m.group(3), []).append((ts, m.group(4)))
    for listener, evs in sorted(events.items()):
        evs.sort(key=lambda e: (e[0], e[1] == "connect"))  # a close before a connect at a tie
        starts = [t for t, kind in evs if kind == "connect"]
        most, j = 0, 0
        for i, t in enumerate(starts):
            while starts[j] <= t - 60:
                j += 1
            most = max(most, i - j + 1)
        open_now = at_once = 0
        for _, kind in evs:
            open_now += 1 if kind == "connect" else -1
            at_once = max(at_once, open_now)
        print(f"{listener} max_per_60s={most} max_at_once={at_once} total={len(starts)}")


if __name__ == "__main__":
    main()
