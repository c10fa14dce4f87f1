#!/usr/bin/env bash
# timeout: 120
# The agent's own trouble is never a destination's fault: when its resolver stops answering
# everyone (NSD stopped with SIGSTOP: queries go unanswered, as with a hung or unreachable
# resolver), every destination turns unknown with reason "local", none turns down, no
# mxwDestinationDown reaches the NMS (a real snmpd and snmptrapd), and
# mxwatch_local_failures_total{cause="resolver"} counts it. When the resolver answers again,
# the destinations are up again and nothing was ever notified.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/nsd.sh"
source "$MXW_TOP/deploy/demo/snmpd.sh"

N=20
DNS_PORT=$(free_port)
nsd_zone_shared "$N" 127.0.9.1 127.0.9.2 >"$T/test.zone"
start_nsd "$DNS_PORT" "$T/test.zone"
P=$(free_port)
start_smtpd --hostname mx.local.test --listen "127.0.9.1:$P=ok" --listen "127.0.9.2:$P=ok"
wait_tcp 127.0.9.2 "$P"
start_snmptrapd
start_snmpd

{
    cat <<EOC
global:
  probe_interval: 2s
  smtp_address_per_minute: 600
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  dns_first_timeout: 500ms
  dns_timeout: 1s
  dns_tries: 2
  dns_cache_max_ttl: 1s # answers cached for a second only: then the silent resolver shows
  down_after: 1
  smtp_port: $P
snmp:
  enabled: true
  agentx_socket: $AGENTX_SOCKET
  trap_min_interval: 1s
destinations:
EOC
    awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "  - d%d.test\n", i }'
} >"$T/agent.yml"
start_agent "$T/agent.yml"

count() { # STATUS [REASON]: destinations with that status (and reason)
    local m
    m=$(scrape) || return 1
    if [ -n "${2:-}" ]; then
        grep -c "^mxwatch_destination_status_reason_info{destination=\"d[0-9]*\.test\",reason=\"$2\"} 1$" <<<"$m" || true
    else
        grep -c "^mxwatch_destination_status{destination=\"d[0-9]*\.test\",status=\"$1\"} 1$" <<<"$m" || true
    fi
}
all_up() { [ "$(count up)" = "$N" ]; }
wait_for 20 all_up || fail "not all $N destinations up before the outage: $(count up)"

stop_nsd
note "resolver stopped"
all_local() { [ "$(count unknown)" = "$N" ] && [ "$(count unknown local)" = "$N" ]; }
downs=0
for _ in $(seq 1 100); do # 10 s: watch every scrape for a false down
    d=$(count down)
    [ "$d" = 0 ] || downs=$d
    all_local && break
    sleep 0.1
done
[ "$downs" = 0 ] || fail "$downs destinations went down because the agent's resolver stopped"
all_local || fail "destinations not unknown/local while the resolver answers nobody: unknown $(count unknown), local $(count unknown local)"
M=$(scrape)
resolver=$(metric_value "$M" 'mxwatch_local_failures_total{cause="resolver"}')
note "all $N destinations unknown, reason local; local failures (resolver): $resolver"
[ "${resolver:-0}" -ge "$N" ] || fail "mxwatch_local_failures_total{cause=\"resolver\"} is ${resolver:-0}"
sleep 3
assert_eq 0 "$(count down)" "destinations down during the outage"

cont_nsd
note "resolver answering again"
wait_for 20 all_up || fail "destinations not up again after the resolver came back: $(count up)"
sleep 2
# The notification trap OID of mxwDestinationDown (...725.0.1) never appeared.
if grep -q '1\.3\.6\.1\.4\.1\.32473\.725\.0\.1\b' "$SNMPTRAPD_LOG" 2>/dev/null; then
    fail "a down notification was sent for the agent's own trouble: $(grep -m1 725.0.1 "$SNMPTRAPD_LOG")"
fi
assert_eq 1 "$(metric_value "$(scrape)" mxwatch_agentx_connected)" "AgentX connected (notifications could have gone out)"
note "ok"
