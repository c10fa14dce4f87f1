#!/usr/bin/env bash
# timeout: 240
# 20,000 destinations behind 8 MX addresses, as the internet's large providers host them,
# served by a fast resolver (NSD): every destination is probed within one interval, and
# each address sees at most one session at a time and at most smtp_address_per_minute
# sessions in any 60 s, counted in the SMTP server's own event log. One session per address
# answers all the destinations behind it (the agent's own session and sharing counters).
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/nsd.sh"

N=20000
# The sanitizer build loads a config several times slower (its O(n^2) load is #12 item 6):
# the same checks on a quarter of the world there; the plain suite runs the whole.
case $BUILD in */san) N=5000 ;; esac
INTERVAL=60
PER_MINUTE=4
ADDRS=(127.0.7.1 127.0.7.2 127.0.7.3 127.0.7.4 127.0.7.5 127.0.7.6 127.0.7.7 127.0.7.8)

DNS_PORT=$(free_port)
nsd_zone_shared "$N" "${ADDRS[@]}" >"$T/test.zone"
start_nsd "$DNS_PORT" "$T/test.zone"
P=$(free_port)
listen=()
for a in "${ADDRS[@]}"; do listen+=(--listen "$a:$P=ok"); done
start_smtpd --hostname mx.shared.test --log "$T/events.log" "${listen[@]}"
wait_tcp 127.0.7.8 "$P"
sleep 0.2
: >"$T/events.log" # the agent's sessions only, not the readiness check above

{
    cat <<EOC
global:
  probe_interval: ${INTERVAL}s
  smtp_address_per_minute: $PER_MINUTE
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  smtp_port: $P
  connect_timeout: 2s
  banner_timeout: 5s
  total_timeout: 10s
snmp: {enabled: false}
destinations:
EOC
    awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "  - d%d.test\n", i }'
} >"$T/agent.yml"
started=$(date +%s)
start_agent "$T/agent.yml" --log.level=info

ready() { curl -fsS --max-time 5 -o /dev/null "$AGENT_URL/-/ready"; }
wait_for $((INTERVAL + 30)) ready || fail "the first round of $N destinations did not end within one interval"
took=$(($(date +%s) - started))
note "first round of $N destinations done after ${took} s (interval ${INTERVAL} s)"
[ "$took" -le $((INTERVAL + 10)) ] || fail "the first round took ${took} s, over one interval of ${INTERVAL} s"

M=$(scrape)
up=$(grep -c '^mxwatch_destination_status{destination="d[0-9]*\.test",status="up"} 1$' <<<"$M" || true)
assert_eq "$N" "$up" "destinations up after the first round"
sessions=$(metric_value "$M" mxwatch_smtp_sessions_total)
shared=$(metric_value "$M" mxwatch_smtp_shared_results_total)
note "SMTP sessions: $sessions for $((2 * N)) address checks ($shared answered from another's session)"
[ "$sessions" -le $((${#ADDRS[@]} * PER_MINUTE * 2)) ] ||
    fail "$sessions SMTP sessions for ${#ADDRS[@]} addresses: the checks are not shared"
[ "$shared" -ge "$N" ] || fail "only $shared checks answered by a shared session"

# Politeness, as the mail hosts saw it.
sleep 5
python3 "$MXW_TOP/tests/lib/sessions.py" "$T/events.log" >"$T/sessions.txt"
note "$(tr '\n' ';' <"$T/sessions.txt")"
assert_eq "${#ADDRS[@]}" "$(wc -l <"$T/sessions.txt")" "addresses that saw sessions"
while read -r listener per60 atonce _; do
    [ "${per60#max_per_60s=}" -le "$PER_MINUTE" ] || fail "$listener: $per60 sessions in 60 s, bound $PER_MINUTE"
    [ "${atonce#max_at_once=}" -le 1 ] || fail "$listener: $atonce sessions open at once"
done <"$T/sessions.txt"
assert_eq 0 "$(metric_value "$M" 'mxwatch_local_failures_total{cause="resolver"}')" "resolver failures"
note "ok"
