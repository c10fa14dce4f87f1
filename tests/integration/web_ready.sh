#!/usr/bin/env bash
# timeout: 60
# /-/ready answers 503 until every destination has been probed once, then 200, while
# /-/healthy answers 200 from the start. The DNS server here reads queries and never
# answers, so the first round cannot end before the DNS timeout (3 s); a resolver that
# answers nobody is the agent's own trouble: the destination is unknown, reason local.
source "$(dirname "$0")/../lib/common.sh"
dns=$(free_port)
start_silent_dns "$dns"
cat >"$T/agent.yml" <<EOC
global:
  dns_servers: ["127.0.0.1:$dns"]
  dns_timeout: 3s
  dns_first_timeout: 3s
  dns_tries: 1
  probe_interval: 10s
destinations: [slow-dns.test]
snmp: {enabled: false}
EOC
start_agent "$T/agent.yml"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$AGENT_URL/-/healthy")" "/-/healthy at start"
assert_eq 503 "$(curl -s -o /dev/null -w '%{http_code}' "$AGENT_URL/-/ready")" "/-/ready before the first round"
wait_for 20 curl -fsS "$AGENT_URL/-/ready" || fail "/-/ready never became ready"
m=$(scrape)
assert_eq 1 "$(metric_value "$m" 'mxwatch_destination_status_reason_info{destination="slow-dns.test",reason="local"}')" \
    "a DNS server that never answers is the agent's trouble (reason local)"
assert_eq 1 "$(metric_value "$m" 'mxwatch_destination_status{destination="slow-dns.test",status="unknown"}')" \
    "a DNS server that never answers leaves the destination unknown"
