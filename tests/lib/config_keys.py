#!/usr/bin/env python3
"""config_keys.py: every key of the configuration schema, read from the field tables of
agent/core/config.c, one dotted path a line: `global.probe_interval`, `web.delivernow.enabled`,
`destinations[].domain` (an item of a list), `sources.gateways[].url`.

The tables are `static const struct field NAME[] = {...};`, whose entries are written as
FLD("key", ...), FLD_UINT("key", ...), FLD_LIST("key", ...), GW("key", ...), PFLD(T, "key",
...), PROBE_FIELDS(T, m) (the PFLD entries of its #define) or {"key", F_TYPE, ...}; an
F_SECTION or F_LIST entry names its nested table (NAME_schema). The walk starts at
root_schema. Every string literal of a table must belong to one recognised entry, so an
entry written in a new way stops this script (exit 2) instead of being skipped.
Usage: config_keys.py agent/core/config.c
"""
import re
import sys

KEY = r'"([a-z_][a-z0-9_]*)"'
SCALAR_MACROS = re.compile(r'\b(?:FLD|FLD_UINT|FLD_LIST|GW)\(\s*' + KEY)
PFLD = re.compile(r'\bPFLD\(\s*[^,()]+(?:\([^()]*\))?\s*,\s*' + KEY)
BRACED = re.compile(r'\{\s*' + KEY + r'\s*,\s*(F_[A-Z0-9]+)\b([^{}]*)\}')
PROBE_USE = re.compile(r'\bPROBE_FIELDS\s*\(')
TABLE = re.compile(r'static\s+const\s+struct\s+field\s+(\w+)\s*\[\s*\]\s*=\s*\{(.*?)\n\};', re.S)


def die(msg):
    print("config_keys.py: " + msg, file=sys.stderr)
    sys.exit(2)


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', text)


def macro_body(text, name):
    """The body of a #define NAME(...), its continuation lines joined."""
    m = re.search(r'^#define\s+' + name + r'\([^)]*\)((?:[^\n]*\\\n)*[^\n]*)', text, re.M)
    if not m:
        die("no #define " + name)
    return m.group(1).replace('\\\n', ' ')


def entries(body, probe_keys):
    """[(key, type, nested table or None)] of one table body, in order."""
    found = []  # (position, key, type, sub)
    claimed = set()
    for m in SCALAR_MACROS.finditer(body):
        found.append((m.start(), m.group(1), 'scalar', None))
        claimed.add(m.start(1))
    for m in PFLD.finditer(body):
        found.append((m.start(), m.group(1), 'scalar', None))
        claimed.add(m.start(1))
    for m in BRACED.finditer(body):
        ftype, rest = m.group(2), m.group(3)
        sub = None
        if ftype in ('F_SECTION', 'F_LIST'):
            names = re.findall(r'\b(\w+_schema)\b', rest)
            if len(names) != 1:
                die('entry "%s" (%s) does not name one nested table' % (m.group(1), ftype))
            sub = names[0]
        found.append((m.start(), m.group(1), ftype, sub))
        claimed.add(m.start(1))
    for m in PROBE_USE.finditer(body):
        for k in probe_keys:
            found.append((m.start(), k, 'scalar', None))
    for m in re.finditer(r'"[^"]*"', body):
        if m.start() + 1 not in claimed:
            die('unrecognised table entry near %s' % body[max(0, m.start() - 20):m.end() + 20])
    found.sort(key=lambda e: e[0])
    return [(k, t, s) for _, k, t, s in found]


def main():
    if len(sys.argv) != 2:
        die("usage: config_keys.py agent/core/config.c")
    text = strip_comments(open(sys.argv[1], encoding='utf-8').read())
    probe_keys = [m.group(1) for m in PFLD.finditer(macro_body(text, 'PROBE_FIELDS'))]
    if not probe_keys:
        die("PROBE_FIELDS has no PFLD entry")
    tables = {name: entries(body, probe_keys) for name, body in TABLE.findall(text)}
    if 'root_schema' not in tables:
        die("no root_schema table")
    keys = []

    def walk(table, prefix, seen):
        if table not in tables:
            die("nested table %s is not defined" % table)
        if table in seen:
            die("table %s nests itself" % table)
        if not tables[table]:
            die("table %s has no entry" % table)
        for key, ftype, sub in tables[table]:
            if ftype == 'F_SECTION':
                walk(sub, prefix + key + '.', seen | {table})
            elif ftype == 'F_LIST':
                walk(sub, prefix + key + '[].', seen | {table})
            else:
                keys.append(prefix + key)

    walk('root_schema', '', frozenset())
    if len(set(keys)) != len(keys):
        die("a key appears twice: " + ", ".join(sorted({k for k in keys if keys.count(k) > 1})))
    print("\n".join(keys))


if __name__ == '__main__':
    main()
