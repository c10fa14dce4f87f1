#!/usr/bin/env bash
# timeout: 120
# A resolver that loses 5 % of its answers (a relay in front of NSD, tests/lib/lossy_dns.py)
# stalls nobody: with 2,000 destinations every one is probed each interval and is up, a lost
# answer costs its own query the short first try (dns_first_timeout) and one retry in the
# retry queue, never the full timeout of every query behind it, and the losses show in the
# agent's own counters, not as destination failures.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/nsd.sh"

N=2000
ADDRS=(127.0.8.1 127.0.8.2 127.0.8.3 127.0.8.4)
NSD_PORT=$(free_port)
nsd_zone_shared "$N" "${ADDRS[@]}" >"$T/test.zone"
start_nsd "$NSD_PORT" "$T/test.zone"
DNS_PORT=$(free_port)
python3 "$MXW_TOP/tests/lib/lossy_dns.py" "$DNS_PORT" "$NSD_PORT" 0.05 "$T/lossy.stats" \
    >>"$T/lossy.log" 2>&1 &
track $!
wait_for 5 test -s "$T/lossy.stats" || fail "the lossy relay did not start"
P=$(free_port)
listen=()
for a in "${ADDRS[@]}"; do listen+=(--listen "$a:$P=ok"); done
start_smtpd --hostname mx.lossy.test "${listen[@]}"
wait_tcp 127.0.8.4 "$P"

# Five tries keep a destination's failure (every try of one query lost: 0.05^5) out of a run.
{
    cat <<EOC
global:
  probe_interval: 10s
  smtp_address_per_minute: 600
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  dns_first_timeout: 1s
  dns_timeout: 2s
  dns_tries: 5
  smtp_port: $P
snmp: {enabled: false}
destinations:
EOC
    awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "  - d%d.test\n", i }'
} >"$T/agent.yml"
start_agent "$T/agent.yml" --log.level=info

ready() { curl -fsS --max-time 5 -o /dev/null "$AGENT_URL/-/ready"; }
wait_for 20 ready || fail "the first round of $N destinations did not end within 20 s"
sleep 12 # a second round, through the lossy resolver
M=$(scrape)
note "relay: $(cat "$T/lossy.stats"); agent: dns timeouts $(metric_value "$M" mxwatch_dns_timeouts_total), retries $(metric_value "$M" mxwatch_dns_retries_total)"
dropped=$(sed -n 's/.*dropped=\([0-9]*\).*/\1/p' "$T/lossy.stats")
[ "${dropped:-0}" -ge 50 ] || fail "the relay dropped only ${dropped:-0} answers"
[ "$(metric_value "$M" mxwatch_dns_retries_total)" -ge 50 ] || fail "lost answers were not retried"

up=$(grep -c '^mxwatch_destination_status{destination="d[0-9]*\.test",status="up"} 1$' <<<"$M" || true)
assert_eq "$N" "$up" "destinations up through a lossy resolver"
# Every destination was probed in each of the two rounds.
once=$(awk '/^mxwatch_probes_total\{destination="d[0-9]*\.test",result="ok"\}/ && $2 < 2 { n++ } END { print n + 0 }' <<<"$M")
assert_eq 0 "$once" "destinations probed fewer than twice in two intervals"
# Only the queries that were lost are late, and only by the short first try and a retry:
# with five queries a destination, about a fifth of the resolutions lose one answer and take
# about a second more; one waiting out a full first timeout of 5 s (the old way) is rare
# only when a query loses three answers in a row.
slow=$(awk '/^mxwatch_dns_lookup_duration_seconds\{/ && $2 > 4.5 { n++ } END { print n + 0 }' <<<"$M")
late=$(awk '/^mxwatch_dns_lookup_duration_seconds\{/ && $2 > 0.5 { n++ } END { print n + 0 }' <<<"$M")
note "DNS resolutions over 0.5 s: $late of $N; over 4.5 s: $slow"
[ "$slow" -le $((N / 100)) ] || fail "$slow of $N DNS resolutions took over 4.5 s: lost answers held queries for full timeouts"
[ "$late" -le $((N * 2 / 5)) ] || fail "$late of $N resolutions were late: lost answers held up other queries"
assert_eq 0 "$(metric_value "$M" 'mxwatch_local_failures_total{cause="resolver"}')" "resolver counted as silent"
note "ok"
