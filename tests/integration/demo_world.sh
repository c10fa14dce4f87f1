#!/usr/bin/env bash
# timeout: 90
# The demo world of `make run`: every destination reaches its expected status and reason
# within one probe interval, /metrics says so, and SIGTERM stops the agent within 2 s
# with every socket it opened closed.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/world.sh"
WORLD_INTERVAL=6s
start_world
start_agent "$WORLD_CONFIG"

all_settled() {
    local m d exp st
    m=$(scrape)
    for d in $WORLD_DOMAINS; do
        exp=$(world_expect "$d")
        st=${exp% *}
        [ "$(metric_value "$m" "mxwatch_destination_status{destination=\"$d\",status=\"$st\"}")" = 1 ] || return 1
        [ "$(metric_value "$m" "mxwatch_destination_status_reason_info{destination=\"$d\",reason=\"${exp#* }\"}")" = 1 ] || return 1
    done
}
# One interval (6 s) plus the first-round spread (5 s) and the confirmation re-probe.
wait_for 20 all_settled || {
    scrape | grep -E '^mxwatch_destination_(status|status_reason_info)\{' >&2
    fail "the demo world's destinations did not all reach their expected status"
}
m=$(scrape)
assert_eq 1 "$(metric_value "$m" 'mxwatch_destination_up{destination="alpha.test"}')" "alpha.test up"
assert_eq 0 "$(metric_value "$m" 'mxwatch_destination_up{destination="refused.test"}')" "refused.test up"
assert_eq 2 "$(metric_value "$m" 'mxwatch_destination_mx_records{destination="alpha.test"}')" "alpha.test MX count"
# The world's records have a TTL of 300 s: asked afresh, the TTL is 300; from the agent's
# cache (global.dns_cache: ttl), 300 less the answer's age, as the MTA's resolver tells it.
ttl=$(metric_value "$m" 'mxwatch_dns_ttl_seconds{destination="alpha.test"}')
age=$(metric_value "$m" 'mxwatch_dns_answer_age_seconds{destination="alpha.test"}')
cached=$(metric_value "$m" 'mxwatch_dns_answer_cached{destination="alpha.test"}')
awk -v t="$ttl" -v a="$age" -v c="$cached" 'BEGIN { exit !(t <= 300 && t > 250 && (c == 0 ? t == 300 : t >= int(300 - a) - 1)) }' ||
    fail "alpha.test TTL $ttl with cached=$cached age=$age"

assert_eq 1 "$(metric_value "$m" 'mxwatch_smtp_starttls_offered{destination="alpha.test",mx="mx1.alpha.test",address="127.0.0.11",preference="10"}')" "STARTTLS offered"
assert_eq 1 "$(metric_value "$m" 'mxwatch_tls_version_info{destination="alpha.test",mx="mx1.alpha.test",address="127.0.0.11",preference="10",version="TLSv1.3"}')" "TLS 1.3 negotiated"
assert_contains "$(curl -fsS "$AGENT_URL/-/ready")" "ready"
# The SMTP server saw a QUIT from the probe: remote MTAs must not log lost connections.
wait_for 5 grep -q QUIT "$T/world-smtpd-events.log" || fail "no QUIT reached the SMTP server"

# Clean shutdown within 2 seconds.
start=$(date +%s%N)
kill -TERM "$AGENT_PID"
for _ in $(seq 1 20); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$AGENT_PID" 2>/dev/null && fail "agent still running 2 s after SIGTERM"
took=$((($(date +%s%N) - start) / 1000000))
note "stopped in ${took} ms"
grep -q 'msg="stopped"' "$T/agent.log" || fail "agent did not log a clean stop"
