#!/usr/bin/env python3
"""shard_split.py: checks that the agents of one shard set split a destination list exactly.

Reads the /metrics text of agent 0 .. N-1 (run with --shard=I/N, in that order) and a file
naming every destination the set should watch, one a line. Checks, through each agent's
mxwatch_destination_up series, that every destination is exported by exactly one agent,
the one docs/SCALING.md's rule names ((FNV-1a-64(lower-cased domain) >> 32) mod N), that
each agent probed all of its own (mxwatch_last_probe_timestamp_seconds) and says which
share it owns (mxwatch_shard_info). Prints one line "ok per_agent=A,B,C down=D queued=Q"
(D: destinations down in all agents, Q: queued recipients summed over all agents), or the
faults found, one a line, and exits 1.
Usage: shard_split.py EXPECTED_FILE METRICS_0 METRICS_1 ...
"""
import re
import sys

SAMPLE = re.compile(r'^(\w+)\{([^}]*)\} (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
MASK64 = (1 << 64) - 1


def owner(domain, count):
    h = 14695981039346656037
    for byte in domain.lower().encode():
        h = ((h ^ byte) * 1099511628211) & MASK64
    return (h >> 32) % count


def samples(path):
    """(name, labels, value) of every labelled sample of one exposition."""
    for line in open(path, encoding="utf-8"):
        m = SAMPLE.match(line.rstrip("\n"))
        if m:
            yield m.group(1), dict(LABEL.findall(m.group(2))), float(m.group(3))


def agent_figures(path):
    exported, probed, info = set(), set(), []
    down = queued = 0
    for name, labels, value in samples(path):
        dest = labels.get("destination")
        if name == "mxwatch_destination_up":
            exported.add(dest)
        elif name == "mxwatch_last_probe_timestamp_seconds":
            probed.add(dest)
        elif name == "mxwatch_shard_info":
            info.append((labels.get("shard"), labels.get("shards"), value))
        elif name == "mxwatch_destination_status" and labels.get("status") == "down":
            down += value == 1
        elif name == "mxwatch_active_recipients" and dest is not None:
            queued += value
    return exported, probed, info, down, queued


def check(expected, paths):
    n, faults, seen = len(paths), [], {}
    counts, down, queued = [], 0, 0
    for i, path in enumerate(paths):
        exported, probed, info, d, q = agent_figures(path)
        counts.append(len(exported))
        down, queued = down + d, queued + q
        if info != [(str(i), str(n), 1.0)]:
            faults.append(f"agent {i}: mxwatch_shard_info is {info}, not shard={i} shards={n}")
        for dest in sorted(exported):
            if dest in seen:
                faults.append(f"{dest}: exported by agents {seen[dest]} and {i}")
            seen[dest] = i
            if owner(dest, n) != i:
                faults.append(f"{dest}: exported by agent {i}, the rule gives {owner(dest, n)}")
            if dest not in probed:
                faults.append(f"{dest}: exported by agent {i} but never probed")
    for dest in sorted(expected - set(seen)):
        faults.append(f"{dest}: exported by no agent (the rule gives {owner(dest, n)})")
    for dest in sorted(set(seen) - expected):
        faults.append(f"{dest}: exported by agent {seen[dest]} but not expected")
    return faults, counts, down, queued


def main():
    expected = {line.strip() for line in open(sys.argv[1]) if line.strip()}
    faults, counts, down, queued = check(expected, sys.argv[2:])
    if faults:
        print("\n".join(faults[:20]))
        if len(faults) > 20:
            print(f"... and {len(faults) - 20} more")
        sys.exit(1)
    print(f"ok per_agent={','.join(map(str, counts))} down={down} queued={queued:.0f}")


if __name__ == "__main__":
    main()
