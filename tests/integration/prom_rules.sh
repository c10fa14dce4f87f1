#!/usr/bin/env bash
# prom_rules: the deploy/prometheus content is valid (promtool check config / check rules)
# and the alert rules behave as their unit tests say (promtool test rules).
# timeout: 60
source "$(dirname "$0")/../lib/common.sh"

D=$MXW_TOP/deploy/prometheus
promtool check config "$D/prometheus.yml" >"$T/check.log" 2>&1 || { cat "$T/check.log"; fail "promtool check config"; }
promtool check rules "$D/mxwatch-rules.yml" >>"$T/check.log" 2>&1 || { cat "$T/check.log"; fail "promtool check rules"; }
(cd "$D" && promtool test rules mxwatch-rules.test.yml) >"$T/test.log" 2>&1 ||
    { cat "$T/test.log"; fail "promtool test rules"; }
assert_contains "$(cat "$T/test.log")" "SUCCESS" "promtool test rules"
echo "ok: rules checked and tested"
