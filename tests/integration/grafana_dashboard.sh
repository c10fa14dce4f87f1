#!/usr/bin/env bash
# timeout: 120
# grafana_dashboard: deploy/grafana/mxwatch.json is a Grafana dashboard (valid JSON, a
# current schemaVersion, every query on the templated Prometheus data source), every metric
# name in every query is a family the agent exports, and every query runs on a real
# Prometheus scraping the agent and returns series (tests/lib/grafana_dashboard.py).
# The agent probes the demo world (deploy/demo/world.sh, no MTA) with two sources that need
# no MTA, so the MTA and gateway families the dashboard shows are exported too: the kernel's
# connections source (MTA families for every destination, zero here) and the test gateway
# server (tests/lib/gateway.sh: the gateway families). Names that Prometheus adds itself are
# listed with their reason in NOT_FROM_AGENT of the helper.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/world.sh"
source "$MXW_TOP/tests/lib/gateway.sh"
DASH=$MXW_TOP/deploy/grafana/mxwatch.json
python3 -m json.tool "$DASH" >/dev/null || fail "$DASH is not JSON"

WORLD_INTERVAL=5s
start_world
start_gateway_server
printf '%s\n' "$GATEWAY_PASSWORD" >"$T/gw.password"
chmod 600 "$T/gw.password"
# The world's config ends with its snmp section; the sources follow it.
sed -i '/^snmp:/,$d' "$WORLD_CONFIG"
cat >>"$WORLD_CONFIG" <<EOC
snmp:
  enabled: false
sources:
  connections:
    enabled: true
    interval: 1s
  gateways:
    - name: gw1
      url: https://127.0.0.1:$GATEWAY_PORT
      username: $GATEWAY_USER
      password_file: $T/gw.password
      ca_file: $GATEWAY_CA
      interval: 1s
EOC
start_agent "$WORLD_CONFIG"
settled() { # every destination its expected status, the gateway polled, the source up
    local m
    m=$(scrape)
    world_settled "$m" && [ "$(metric_value "$m" 'mxwatch_gateway_up{appliance="gw1"}')" = 1 ] &&
        [ "$(metric_value "$m" 'mxwatch_source_up{source="connections"}')" = 1 ]
}
wait_for 30 settled || fail "the demo world did not settle: $(scrape | grep -e '^mxwatch_destination_status{' -e '_up{')"
scrape >"$T/metrics.txt"

note "metric names of the queries against the agent's families"
python3 "$MXW_TOP/tests/lib/grafana_dashboard.py" names "$DASH" "$T/metrics.txt" ||
    fail "the dashboard is malformed or names a metric the agent does not export"

note "every query on a real Prometheus"
prometheus_config_for_agent "$T/prometheus.yml"
start_prometheus "$T/prometheus.yml"
P=$PROM_URL
scraped() { # at least 6 scrapes of the agent: enough samples for rate() over 5 s
    curl -fsS "$P/api/v1/query" --data-urlencode 'query=count_over_time(up{job="mxwatch"}[1m]) >= 6' |
        grep -q '"value"'
}
wait_for 30 scraped || fail "prometheus did not scrape the agent: $(curl -s "$P/api/v1/targets")"
python3 "$MXW_TOP/tests/lib/grafana_dashboard.py" queries "$DASH" "$P" ||
    fail "a dashboard query fails or finds nothing on Prometheus"
echo "ok: grafana dashboard"
