#!/usr/bin/env python3
"""grafana_dashboard.py: checks deploy/grafana/mxwatch.json. Called by
tests/integration/grafana_dashboard.sh; prints each fault and exits 1 on any.

  grafana_dashboard.py names DASHBOARD METRICS_FILE
      the dashboard is a Grafana dashboard that imports (a title and uid, a current
      schemaVersion, unique panel ids, every query on the templated Prometheus data
      source), and every metric name in every query (panel targets and template
      variables) is a family of METRICS_FILE (a scrape of /metrics) or one of NOT_FROM_AGENT
  grafana_dashboard.py queries DASHBOARD PROMETHEUS_URL
      every query, its Grafana variables replaced, runs on that Prometheus and returns at
      least one series

Metric names are found in PromQL by removing what cannot be one (strings, label
matchers, range selectors, grouping clauses, variables, numbers) and then taking each
remaining name that is not a keyword and is not called as a function.
"""
import json
import re
import sys
import urllib.parse
import urllib.request

# Names the queries may use that the agent never exports, each with its reason.
NOT_FROM_AGENT = {
    # Recorded by Prometheus itself for every target it scrapes; never in /metrics.
    'scrape_duration_seconds': 'Prometheus records it per scrape target',
}
DATASOURCE_UIDS = {'${datasource}', '$datasource'}
MIN_SCHEMA_VERSION = 36  # Grafana 9.4; Grafana 10 and 11 write 37 to 41
KEYWORDS = {'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left',
            'group_right', 'bool', 'offset', 'inf', 'nan', 'atan2'}
# What Grafana puts into a query before it is sent, for running it here.
VARIABLES = {'$__rate_interval': '5s', '$__range': '30s', '$__interval': '1s',
             '$job': '.*', '$instance': '.*'}


def metric_names(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    e = re.sub(r'\{[^{}]*\}', ' ', e)
    e = re.sub(r'\[[^\]]*\]', ' ', e)
    e = re.sub(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)', ' ', e)
    e = re.sub(r'\$\{?\w+\}?', ' ', e)
    names = set()
    for m in re.finditer(r'(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?', e):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in KEYWORDS or re.match(r'^\d', name):
            continue
        names.add(name)
    return names


def label_values_query(q):
    """label_values(EXPR, label) -> EXPR; other variable queries pass as they are."""
    m = re.match(r'^\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*$', q, re.S)
    return m.group(1) if m else q


def queries(dash):
    """[(where, promql, datasource)] of every panel target and query variable."""
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get('targets', []):
                if 'expr' in t:
                    out.append(('panel "%s" %s' % (p.get('title'), t.get('refId')), t['expr'],
                                t.get('datasource') or p.get('datasource')))
            walk(p.get('panels', []))

    walk(dash.get('panels', []))
    for v in dash.get('templating', {}).get('list', []):
        if v.get('type') == 'query':
            q = v.get('query')
            q = q.get('query', '') if isinstance(q, dict) else q
            out.append(('variable $%s' % v.get('name'), label_values_query(q), v.get('datasource')))
    return out


def structure(dash):
    bad = []
    for k in ('title', 'uid', 'panels', 'templating', 'schemaVersion'):
        if k not in dash:
            bad.append('no "%s"' % k)
    sv = dash.get('schemaVersion')
    if not isinstance(sv, int) or sv < MIN_SCHEMA_VERSION:
        bad.append('schemaVersion %r is older than a current Grafana\'s' % sv)
    ds_vars = [v for v in dash.get('templating', {}).get('list', [])
               if v.get('type') == 'datasource' and v.get('query') == 'prometheus']
    if not ds_vars:
        bad.append('no templated Prometheus data source variable')
    ids = []

    def walk(panels):
        for p in panels:
            ids.append(p.get('id'))
            if 'gridPos' not in p:
                bad.append('panel "%s" has no gridPos' % p.get('title'))
            walk(p.get('panels', []))

    walk(dash.get('panels', []))
    if len(ids) != len(set(ids)) or None in ids:
        bad.append('panel ids are missing or repeated: %s' % ids)
    for where, expr, ds in queries(dash):
        if not isinstance(ds, dict) or ds.get('type') != 'prometheus' or ds.get('uid') not in DATASOURCE_UIDS:
            bad.append('%s: data source %r is not the templated Prometheus one' % (where, ds))
        if not expr.strip():
            bad.append('%s: empty query' % where)
    return bad


def families(metrics_file):
    names = set()
    for line in open(metrics_file, encoding='utf-8'):
        m = re.match(r'^# (?:TYPE|HELP) (\S+)', line) or re.match(r'^([a-zA-Z_:][\w:]*)', line)
        if m:
            names.add(m.group(1))
    return names


def check_names(dash_file, metrics_file):
    dash = json.load(open(dash_file, encoding='utf-8'))
    bad = structure(dash)
    exported = families(metrics_file)
    used = set()
    for where, expr, _ in queries(dash):
        names = metric_names(expr)
        if not names:
            bad.append('%s: no metric name found in %s' % (where, expr))
        for n in sorted(names):
            used.add(n)
            if n not in exported and n not in NOT_FROM_AGENT:
                bad.append('%s: %s is not exported by the agent (%s)' % (where, n, expr))
    print('%d queries, %d metric names, all exported or listed: %s' %
          (len(queries(dash)), len(used), ' '.join(sorted(used))))
    return bad


def substitute(expr):
    for k in sorted(VARIABLES, key=len, reverse=True):
        expr = expr.replace(k, VARIABLES[k])
    return expr


def check_queries(dash_file, prom):
    dash = json.load(open(dash_file, encoding='utf-8'))
    bad = []
    for where, expr, _ in queries(dash):
        q = substitute(expr)
        url = prom + '/api/v1/query?' + urllib.parse.urlencode({'query': q})
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                ans = json.load(r)
        except Exception as e:  # a 400 for a query that does not parse lands here too
            bad.append('%s: %s: %s' % (where, q, e))
            continue
        if ans.get('status') != 'success':
            bad.append('%s: %s: %s' % (where, q, ans.get('error')))
        elif not ans['data']['result']:
            bad.append('%s: %s: no series' % (where, q))
    print('%d queries run on Prometheus' % len(queries(dash)))
    return bad


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ('names', 'queries'):
        sys.exit('usage: grafana_dashboard.py names DASHBOARD METRICS | queries DASHBOARD URL')
    try:
        bad = (check_names if sys.argv[1] == 'names' else check_queries)(sys.argv[2], sys.argv[3])
    except json.JSONDecodeError as e:
        bad = ['%s is not JSON: %s' % (sys.argv[2], e)]
    for b in bad:
        print(b)
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
