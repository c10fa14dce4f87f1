#!/usr/bin/env bash
# prom_rules: the deploy/prometheus content is valid (promtool check config on each example
# configuration, check rules on each rule file) and the rules behave as their unit tests say
# (promtool test rules): the alerts of mxwatch-rules.yml, and the sums across shards and
# the alerts on a set of agents of mxwatch-shards-rules.yml.
# timeout: 60
source "$(dirname "$0")/../lib/common.sh"

D=$MXW_TOP/deploy/prometheus
for c in prometheus.yml prometheus-shards.yml prometheus-global.yml; do
    promtool check config "$D/$c" >>"$T/check.log" 2>&1 || { cat "$T/check.log"; fail "promtool check config $c"; }
done
for r in mxwatch-rules mxwatch-shards-rules; do
    promtool check rules "$D/$r.yml" >>"$T/check.log" 2>&1 || { cat "$T/check.log"; fail "promtool check rules $r.yml"; }
    (cd "$D" && promtool test rules "$r.test.yml") >"$T/test.log" 2>&1 ||
        { cat "$T/test.log"; fail "promtool test rules $r.test.yml"; }
    assert_contains "$(cat "$T/test.log")" "SUCCESS" "promtool test rules $r.test.yml"
done
echo "ok: rules checked and tested"
