#!/usr/bin/env python3
"""include_cycles.py: the include graph of the agent's sources, by module (a module is a
file name without its .c or .h: engine.c and engine.h are "engine"), and every circle in
it, as Tarjan's strongly connected components. Prints the circles and exits 1 when there is
one; prints "no include circle among N modules" and exits 0 otherwise.
Usage: include_cycles.py TOP
"""
import glob
import os
import re
import sys

DIRS = ["agent", "agent/lib", "agent/core", "agent/cli", "probes", "probes/sources",
        "exporters/prom", "exporters/snmp", "exporters/web"]


def graph(top):
    files = [f for d in DIRS for f in glob.glob(os.path.join(top, d, "*.[ch]"))]
    mods = {os.path.splitext(os.path.basename(f))[0] for f in files}
    deps = {m: set() for m in mods}
    for f in files:
        m = os.path.splitext(os.path.basename(f))[0]
        with open(f, encoding="utf-8", errors="replace") as fh:
            for inc in re.findall(r'^#include "([^"]+)"', fh.read(), re.M):
                t = os.path.splitext(os.path.basename(inc))[0]
                if t != m and t in mods:
                    deps[m].add(t)
    return deps


def circles(deps):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(deps):
        if v not in index:
            visit(v)
    return out


def main():
    deps = graph(sys.argv[1])
    found = circles(deps)
    for c in found:
        print("include circle: " + " <-> ".join(c))
    if found:
        sys.exit(1)
    print(f"no include circle among {len(deps)} modules")


if __name__ == "__main__":
    main()
