#!/usr/bin/env bash
# prom_prometheus: a real Prometheus server on loopback scrapes the agent every second with
# the deploy/prometheus alert rules loaded. Through Prometheus's HTTP API: the target is up,
# the rules load healthy, and mxwatch_destination_up is 1 for a destination whose MX
# answers SMTP (mxw-smtpd) and 0 for one whose MX refuses.
# timeout: 120
source "$(dirname "$0")/../lib/common.sh"

# DNS: up.test -> mx.up.test (127.0.0.31, mxw-smtpd), down.test -> mx.down.test
# (127.0.0.32, nothing listens: connection refused).
dns_port=$(free_port)
smtp_port=$(free_port)
cat >"$T/zone.conf" <<EOC
mx-host=up.test,mx.up.test,10
host-record=mx.up.test,127.0.0.31
mx-host=down.test,mx.down.test,10
host-record=mx.down.test,127.0.0.32
EOC
start_dnsmasq "$dns_port" "$T/zone.conf"
start_smtpd_ok mx.up.test "$smtp_port" 127.0.0.31

cat >"$T/mxwatch.yml" <<'EOC'
global:
  probe_interval: 2s
  down_after: 1
  connect_timeout: 2s
  banner_timeout: 2s
  dns_timeout: 1s
destinations:
  - up.test
  - down.test
EOC
start_agent "$T/mxwatch.yml" --dns.server="127.0.0.1:$dns_port" --smtp.port="$smtp_port"

prometheus_config_for_agent "$T/prometheus.yml" "$MXW_TOP/deploy/prometheus/mxwatch-rules.yml"
start_prometheus "$T/prometheus.yml"
P=$PROM_URL

# query EXPR: the value of the single result, or empty.
query() {
    curl -fsS --max-time 5 "$P/api/v1/query" --data-urlencode "query=$1" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if len(r)==1 else "")'
}
expect() { [ "$(query "$1")" = "$2" ]; }

wait_for 30 expect 'up{job="mxwatch"}' 1 || fail "target never up: $(curl -s "$P/api/v1/targets")"
health=$(curl -fsS "$P/api/v1/targets" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["activeTargets"][0]["health"])')
assert_eq up "$health" "target health"
rules=$(curl -fsS "$P/api/v1/rules" | python3 -c '
import json,sys
g=json.load(sys.stdin)["data"]["groups"]
print(" ".join(sorted(r["name"]+":"+r["health"] for x in g for r in x["rules"])))')
assert_contains "$rules" "MxwatchDestinationDown:ok" "loaded rules"
assert_contains "$rules" "MxwatchAgentNotScraped:ok" "loaded rules"

wait_for 30 expect 'mxwatch_destination_up{destination="up.test"}' 1 ||
    fail "up.test never up: $(query 'mxwatch_destination_status_reason_info{destination="up.test"}')"
wait_for 30 expect 'mxwatch_destination_status{destination="down.test",status="down"}' 1 ||
    fail "down.test never down"
assert_eq 0 "$(query 'mxwatch_destination_up{destination="down.test"}')" "down.test up"
assert_eq 1 "$(query 'mxwatch_mx_up{destination="up.test",mx="mx.up.test"}')" "MX of up.test"
assert_eq 2 "$(query 'mxwatch_destinations{origin="config"}')" "destinations seen by Prometheus"
# Prometheus asks for gzip: every sample of the compressed body must have been parsed.
samples=$(query 'scrape_samples_scraped{job="mxwatch"}')
lines=$(curl -fsS "$AGENT_URL/metrics" | grep -vc '^#')
[ "${samples:-0}" -ge $((lines - 5)) ] || fail "Prometheus parsed $samples samples of about $lines"
echo "ok: Prometheus scrapes mxwatch"
