#!/usr/bin/env python3
"""man_pages.py: compares the manual pages in deploy/man/ with what they describe.
Called by tests/integration/man_pages.sh; prints each mismatch and exits 1 on any.

  man_pages.py flags MXWATCH.1 HELP_FILE...   the flags and commands of mxwatch(1) against
                                              the --help texts (the main one first)
  man_pages.py keys MXWATCH.YML.5 KEYS_FILE CONFIGURATION.md GATEWAYS.md
                                              the keys of mxwatch.yml(5) against the schema
                                              (config_keys.py's output), and their
                                              "Default:" lines against the docs' tables
  man_pages.py example MXWATCH.YML.5          prints the page's example configuration

Page text is read from the roff source with its escapes undone (\\- is a dash, font
changes vanish), so a flag is found however it is typeset.
"""
import re
import sys

# Flags that mxwatch(1) documents before `--help` has them. Each entry says why; remove
# it once --help lists the flag (the test prints a note when that has happened).
MAN_ONLY_FLAGS = set()  # a flag the page documents before --help has it (none now)

LONG_FLAG = re.compile(r'(?<![\w-])--[a-z][a-z0-9.-]*[a-z0-9]')
SHORT_FLAG = re.compile(r'(?<![\w./:-])-[a-zA-Z](?![\w.-])')
KEY_PATH = re.compile(r'^[a-z_]+(\[\])?(\.[a-z_]+(\[\])?)*$')


def plain(line):
    """A roff line without escapes: the text a reader sees (macro names kept)."""
    line = line.replace('\\-', '-').replace('\\(aq', "'").replace('\\e', '\\')
    line = re.sub(r'\\f(\[[^\]]*\]|.)', '', line)
    line = re.sub(r'\\[&|%^]', '', line)
    return line


def page_lines(path):
    return [plain(l.rstrip('\n')) for l in open(path, encoding='utf-8')
            if not l.startswith('.\\"')]


def tags(lines):
    """The tag line of every .TP paragraph, without its macro name."""
    out = []
    for i, l in enumerate(lines[:-1]):
        if l.strip() == '.TP':
            out.append(re.sub(r'^\.[A-Z]+\s*', '', lines[i + 1]).replace('"', ''))
    return out


def section(lines, name):
    """The lines of one .SH section."""
    out, inside = [], False
    for l in lines:
        if l.startswith('.SH '):
            inside = l[4:].strip().strip('"') == name
        elif inside:
            out.append(l)
    return out


def flags_in(text):
    return set(LONG_FLAG.findall(text)) | set(SHORT_FLAG.findall(text))


def check_flags(man, helps):
    bad = []
    lines = page_lines(man)
    help_text = ''.join(open(h, encoding='utf-8').read() for h in helps)
    want = flags_in(help_text)
    documented = set().union(*(flags_in(t) for t in tags(lines)))
    mentioned = flags_in('\n'.join(lines))
    for f in sorted(want - documented):
        bad.append('%s: %s is in --help but has no entry (.TP) in the page' % (man, f))
    for f in sorted(mentioned - want - MAN_ONLY_FLAGS):
        bad.append('%s: %s is in the page but in no --help' % (man, f))
    for f in sorted(MAN_ONLY_FLAGS & want):
        print('note: %s is in --help now: drop it from MAN_ONLY_FLAGS' % f)
    for f in sorted(MAN_ONLY_FLAGS - documented):
        bad.append('%s: %s (MAN_ONLY_FLAGS) has no entry in the page' % (man, f))
    main_help = open(helps[0], encoding='utf-8').read()
    block = re.search(r'^commands:\n(.*?)\n\n', main_help, re.M | re.S)
    if not block:
        return bad + ['%s: no "commands:" block' % helps[0]]
    commands = [l.split()[0] for l in block.group(1).splitlines() if l.strip()]
    command_tags = [t.split()[0] for t in tags(section(lines, 'COMMANDS')) if t.split()]
    for c in commands:
        if c not in command_tags:
            bad.append('%s: the command %s has no entry under COMMANDS' % (man, c))
    synopsis = '\n'.join(section(lines, 'SYNOPSIS'))
    for c in commands:
        if c != 'run' and not re.search(r'^\.B mxwatch %s$' % re.escape(c), synopsis, re.M):
            bad.append('%s: the command %s is not in the SYNOPSIS' % (man, c))
    print('flags: %d in --help, %d documented; commands: %s' %
          (len(want), len(documented), ' '.join(commands)))
    return bad


def doc_defaults(configuration_md, gateways_md):
    """{key path: default text} from the docs' "| key | default | meaning |" tables."""
    out = {}

    def tables(path, prefix_of):
        prefix, in_table = None, False
        for l in open(path, encoding='utf-8'):
            h = re.match(r'^## (.*)', l)
            if h:
                prefix = prefix_of(h.group(1))
            if re.match(r'^\|\s*key\s*\|\s*default\s*\|', l):
                in_table = True
                continue
            if not l.startswith('|'):
                in_table = False
            if not in_table or prefix is None or re.match(r'^\|[-| ]+\|$', l.strip()):
                continue
            cells = [c.strip() for c in l.strip().strip('|').split('|')]
            key = cells[0].strip('`')
            out[prefix + key] = cells[1].replace('`', '').strip()

    def conf_prefix(title):
        m = re.match(r'^`([a-z_]+(?:\[\]\.[a-z_]+)?)`', title)  # `destinations[].transaction` too
        return m.group(1) + '.' if m else None

    tables(configuration_md, conf_prefix)
    tables(gateways_md, lambda title: 'sources.gateways[].' if title == 'Configuration' else None)
    return out


def key_entries(man):
    """[(key path, default text or None)] of the KEYS section, in page order; a tag there
    that is not a key path is reported as a key (and then fails the schema comparison)."""
    lines = section(page_lines(man), 'KEYS')
    out = []
    for i, l in enumerate(lines[:-1]):
        if l.strip() != '.TP':
            continue
        key = re.sub(r'^\.[A-Z]+\s*', '', lines[i + 1]).strip()
        default = None
        for body in lines[i + 2:]:
            if body.startswith(('.TP', '.SS', '.PP')):
                break
            m = re.match(r'^Default: (.*)\.$', body)
            if m:
                default = m.group(1)
        out.append((key, default))
    return out


def check_keys(man, keys_file, configuration_md, gateways_md):
    bad = []
    schema = [k for k in open(keys_file).read().split() if k]
    entries = key_entries(man)
    page = [k for k, _ in entries]
    for k in page:
        if not KEY_PATH.match(k):
            bad.append('%s: "%s" under KEYS is not a key path' % (man, k))
    for k in sorted(set(schema) - set(page)):
        bad.append('%s: the schema key %s is not in the page' % (man, k))
    for k in sorted(set(page) - set(schema)):
        bad.append('%s: %s is in the page but not in the schema' % (man, k))
    for k in sorted({k for k in page if page.count(k) > 1}):
        bad.append('%s: %s has two entries' % (man, k))
    docs = doc_defaults(configuration_md, gateways_md)
    containers = {k.split('[]')[0] for k in schema if '[]' in k}
    for k, v in sorted(docs.items()):
        if k in containers:
            continue  # a list documented as a whole (sources.gateways): its items are rows too
        if k not in schema:
            bad.append('docs: %s has a row but is not in the schema' % k)
    compared = 0
    for k, default in entries:
        if k not in docs:
            continue
        compared += 1
        if default is None:
            bad.append('%s: %s has no "Default:" line (the docs say %s)' % (man, k, docs[k]))
        elif default != docs[k]:
            bad.append('%s: %s default "%s", the docs say "%s"' % (man, k, default, docs[k]))
    print('keys: %d in the schema, %d in the page, %d defaults compared with the docs' %
          (len(schema), len(page), compared))
    return bad


def example(man):
    lines = section(page_lines(man), 'EXAMPLE')
    start, end = lines.index('.EX'), lines.index('.EE')
    print('\n'.join(lines[start + 1:end]))
    return []


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'flags':
        bad = check_flags(args[0], args[1:])
    elif cmd == 'keys':
        bad = check_keys(*args)
    elif cmd == 'example':
        bad = example(args[0])
    else:
        sys.exit('usage: man_pages.py flags|keys|example ...')
    for b in bad:
        print(b)
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
