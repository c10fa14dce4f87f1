#!/usr/bin/env bash
# timeout: 240
# The MTA sources against a real, private Postfix (tests/lib/postfix.sh) and the kernel:
# the agent's per-destination queue gauges equal what `postqueue -j` lists, its log
# counters equal what the Postfix log says (counted here with grep, not with the agent's
# parser), through a rename rotation (`postfix logrotate`, mid-flow), a copytruncate, and an
# agent restart with mail logged while it was down; nothing is lost or counted twice.
# Also: discovery within max_destinations, postsuper removal and expiry attributed to their
# destination, and outbound connections (established and SYN-SENT) equal to what `ss`
# shows, the agent's own probe sockets left out.
#
# Destinations (Postfix transport_maps to listeners on 127.0.0.x, one port P):
#   up.test      mxw-smtpd, accepts                -> sent
#   alias.test   same server; the agent's transport_maps count it under up.test
#   down.test    nothing listens (refused)         -> deferred, later removed / expired
#   reject.test  mxw-smtpd, 550 5.1.1 to RCPT      -> bounced, class 5xx
#   unknown.test no transport (harness default_transport error:5.1.2) -> bounced, class dns
#   slow.test    mxw-smtpd "silent": never greets  -> stuck in delivery: unattempted, and
#                an established connection while Postfix waits for the greeting
#   pend.test    mxw-smtpd "backlog": never accepts (full queue); the SYN-SENT connections
#                are its own (any local process counts)
#   disc1.test, disc2.test  refused; not configured: discovery keeps the busier one (cap 1)
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/postfix.sh"

P=$(free_port)
start_smtpd --log "$T/smtpd-events.log" --listen "127.0.0.31:$P=ok" \
    --listen "127.0.0.33:$P=rcpt5xx" --listen "127.0.0.35:$P=silent,idle=600" \
    --listen "127.0.0.36:$P=backlog"
wait_for 5 grep -q event=ready "$T/smtpd-events.log" || fail "mxw-smtpd did not start"

DNS_PORT=$(free_port)
printf 'host-record=slow.test,127.0.0.35\nhost-record=pend.test,127.0.0.36\nhost-record=up.test,127.0.0.31\n' >"$T/zone.conf"
start_dnsmasq "$DNS_PORT" "$T/zone.conf"

start_postfix "$T/pf" "up.test=smtp:[127.0.0.31]:$P
alias.test=smtp:[127.0.0.31]:$P
down.test=smtp:[127.0.0.32]:$P
reject.test=smtp:[127.0.0.33]:$P
slow.test=smtp:[127.0.0.35]:$P
disc1.test=smtp:[127.0.0.37]:$P
disc2.test=smtp:[127.0.0.37]:$P" "queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s
smtp_helo_timeout = 300s"

cat >"$T/agent.yml" <<EOC
global:
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  smtp_port: $P
  probe_interval: 60s
  connect_timeout: 1s
  banner_timeout: 2s
  total_timeout: 4s
destinations: [up.test, down.test, reject.test, unknown.test, slow.test, pend.test]
snmp: {enabled: false}
sources:
  postfix:
    enabled: true
    config_directory: $PF_CONF
    queue_interval: 1s
    log_file: $PF_LOG
    state_file: $T/postfix-log.state
    transport_maps: ["alias.test=up.test"]
  connections: {enabled: true, ports: [$P], interval: 1s}
  discovery: {enabled: true, max_destinations: 1, idle: 1h}
EOC
start_agent "$T/agent.yml"
# The log source starts reading at the log's end: mail sent before its first collection
# would never be counted. (/-/healthy answers before the last part, the sources, starts.)
log_source_up() { [ "$(metric_value "$(scrape)" 'mxwatch_source_up{source="postfix_log"}')" = 1 ]; }
wait_for 15 log_source_up || fail "the postfix_log source never came up"

# ---- the oracles: Postfix's own log and queue, the kernel's socket table ----

# Every log line so far: rotated (compressed or not), copied and current files.
log_all() {
    local f
    for f in "$PF_LOG".* "$PF_LOG"; do [ -f "$f" ] && zcat -f "$f"; done
}
# lcount STATUS DOMAIN_REGEX: recipient status lines of the whole log.
lcount() {
    log_all | grep -cE "postfix/[a-z]+\[[0-9]+\]: [0-9A-Z]+: to=<[^>]*@($2)>, .*status=($1)" || true
}
# The agent's view: M holds the last scrape.
val() {
    local v
    v=$(metric_value "$M" "$1")
    echo "${v:-0}"
}
dest_val() { val "$1{destination=\"$2\"${3:+,$3}}"; }

# The log counters, agent against log, minus what the log held at BASE (the restart).
declare -A BASE=()
log_pairs() { # prints "what agent expected"
    local up='up\.test|alias\.test'
    echo "delivered_up $(dest_val mxwatch_delivered_recipients_total up.test) $(($(lcount sent "$up") - ${BASE[delivered_up]:-0}))"
    echo "completed_up $(dest_val mxwatch_completed_recipients_total up.test) $(($(lcount 'sent|bounced' "$up") - ${BASE[completed_up]:-0}))"
    echo "soft_down $(dest_val mxwatch_soft_bounce_events_total down.test) $(($(lcount deferred 'down\.test') - ${BASE[soft_down]:-0}))"
    echo "5xx_reject $(dest_val mxwatch_hard_bounced_recipients_total reject.test 'reason="5xx"') $(($(lcount bounced 'reject\.test') - ${BASE[5xx_reject]:-0}))"
    echo "dns_unknown $(dest_val mxwatch_hard_bounced_recipients_total unknown.test 'reason="dns"') $(($(lcount bounced 'unknown\.test') - ${BASE[dns_unknown]:-0}))"
}
log_matches() {
    M=$(scrape) || return 1
    log_pairs | awk '$2 != $3 { bad = 1 } END { exit bad }'
}
expect_log_match() { # WHAT
    wait_for 20 log_matches || {
        M=$(scrape)
        log_pairs | sed 's/^/  name agent log: /' >&2
        fail "$1: the agent's log counters differ from the Postfix log"
    }
    note "$1: log counters match: $(log_pairs | awk '{ printf "%s=%s ", $1, $2 }')"
}

# queue_expect DEST: "active attempted" from postqueue -j (hold excluded, alias -> up).
queue_expect() {
    pf_queue_json | jq -r 'select(.queue_name != "hold") | .recipients[] |
        "\(.address | split("@") | last | ascii_downcase) \(if (.delay_reason // "") != "" then 1 else 0 end)"' |
        awk -v d="$1" '$1 == "alias.test" { $1 = "up.test" } $1 == d { n++; a += $2 } END { print n + 0, a + 0 }'
}
queue_pairs() {
    local d n a
    for d in up.test down.test slow.test disc1.test; do
        read -r n a <<<"$(queue_expect "$d")"
        echo "active_$d $(dest_val mxwatch_active_recipients "$d") $n"
        echo "attempted_$d $(dest_val mxwatch_attempted_recipients "$d") $a"
        echo "unattempted_$d $(dest_val mxwatch_unattempted_recipients "$d") $((n - a))"
    done
}
queue_matches() {
    M=$(scrape) || return 1
    queue_pairs | awk '$2 != $3 { bad = 1 } END { exit bad }'
}
expect_queue_match() {
    wait_for 20 queue_matches || {
        M=$(scrape)
        queue_pairs | sed 's/^/  name agent postqueue: /' >&2
        fail "$1: the agent's queue gauges differ from postqueue -j"
    }
    note "$1: queue gauges match: $(queue_pairs | awk '{ printf "%s=%s ", $1, $2 }')"
}

# ss_count STATE ADDR: sockets to ADDR:P in STATE, not the agent's own (its probes).
ss_count() {
    ss -Htnp state "$1" "( dport = :$P and dst $2 )" | grep -vc "pid=$AGENT_PID," || true
}
conn_pairs() {
    echo "current_slow $(dest_val mxwatch_outbound_connections slow.test 'state="current"') $(ss_count established 127.0.0.35)"
    echo "pending_slow $(dest_val mxwatch_outbound_connections slow.test 'state="pending"') $(ss_count syn-sent 127.0.0.35)"
    echo "current_pend $(dest_val mxwatch_outbound_connections pend.test 'state="current"') $(ss_count established 127.0.0.36)"
    echo "pending_pend $(dest_val mxwatch_outbound_connections pend.test 'state="pending"') $(ss_count syn-sent 127.0.0.36)"
}
conns_match() {
    M=$(scrape) || return 1
    conn_pairs | awk '$2 != $3 || ($3 == 0 && $1 != "pending_slow") { bad = 1 } END { exit bad }'
}

# ---- 1. first mail: every kind of outcome ----
# Every message has the null sender, so no bounce goes back to a sender's domain: a bounce
# sitting in the queue for a moment would be a destination too, and with discovery's cap of 1
# it could push disc1.test out between two scans.
pf_send '' u1@up.test u2@up.test a1@alias.test
pf_send '' x1@down.test x2@down.test
pf_send '' y1@down.test
pf_send '' r1@reject.test r2@reject.test
pf_send '' n1@unknown.test
pf_send '' w1@slow.test
pf_send '' w2@slow.test
pf_send '' d1@disc1.test d2@disc1.test
pf_send '' e1@disc2.test
first_round() {
    [ "$(lcount sent 'up\.test|alias\.test')" -ge 3 ] && [ "$(lcount deferred 'down\.test')" -ge 3 ] &&
        [ "$(lcount bounced 'reject\.test')" -ge 2 ] && [ "$(lcount bounced 'unknown\.test')" -ge 1 ] &&
        [ "$(lcount deferred 'disc[12]\.test')" -ge 3 ] && [ "$(queue_expect slow.test)" = "2 0" ]
}
wait_for 30 first_round || fail "Postfix did not log the first round (see $PF_LOG)"
expect_log_match "first mail"
expect_queue_match "first mail"
M=$(scrape)
assert_eq 3 "$(dest_val mxwatch_delivered_recipients_total up.test)" "delivered to up.test (alias.test included)"
# The SMTP route behind that count, in the API and in hoststatus; down.test has none.
assert_contains "$(curl -fsS "$AGENT_URL/api/v1/destinations/up.test")" \
    '"smtp_routes":[{"domains":"alias.test","via":"up.test"}]' "up.test's SMTP routes in the API"
assert_contains "$(curl -fsS "$AGENT_URL/api/v1/destinations/down.test")" '"smtp_routes":[]' \
    "down.test's SMTP routes in the API"
out=$("$MXWATCH" hoststatus --url="$AGENT_URL" up.test) || fail "hoststatus up.test: $out"
grep -A1 '^SMTP Routes:' <<<"$out" | grep -qx '  alias.test -> up.test' || fail "hoststatus's SMTP routes: $out"
assert_eq 2 "$(dest_val mxwatch_hard_bounced_recipients_total reject.test 'reason="5xx"')" "5xx bounces of reject.test"
# mxwatch_delivery_delay_seconds against the log: the delay= of final lines (sent, bounced)
# only, so down.test's deferrals make no histogram.
delays() { # DOMAIN_REGEX: the delay= values of its final status lines
    log_all | grep -E "postfix/[a-z]+\[[0-9]+\]: [0-9A-Z]+: to=<[^>]*@($1)>, .*status=(sent|bounced)" |
        grep -oE ' delay=[0-9.]+' | cut -d= -f2
}
for pair in 'up.test up\.test|alias\.test' 'reject.test reject\.test'; do
    dest=${pair%% *} re=${pair#* }
    want_n=$(delays "$re" | grep -c .)
    want_sum=$(delays "$re" | awk '{ s += $1 } END { printf "%.2f", s }')
    want_1=$(delays "$re" | awk '$1 <= 1 { n++ } END { print n + 0 }')
    assert_eq "$want_n" "$(dest_val mxwatch_delivery_delay_seconds_count "$dest")" "delay histogram count of $dest"
    assert_eq "$want_sum" "$(printf '%.2f' "$(dest_val mxwatch_delivery_delay_seconds_sum "$dest")")" \
        "delay histogram sum of $dest"
    assert_eq "$want_1" "$(dest_val mxwatch_delivery_delay_seconds_bucket "$dest" 'le="1"')" "le=1 bucket of $dest"
    assert_eq "$want_n" "$(dest_val mxwatch_delivery_delay_seconds_bucket "$dest" 'le="+Inf"')" "+Inf bucket of $dest"
done
assert_not_contains "$M" 'mxwatch_delivery_delay_seconds_count{destination="down.test"}' "a histogram of deferrals"
assert_eq 3 "$(dest_val mxwatch_active_recipients down.test)" "active recipients of down.test"
assert_eq 2 "$(dest_val mxwatch_unattempted_recipients slow.test)" "unattempted recipients of slow.test"
oldest=$(pf_queue_json | jq -s '[.[] | select(.recipients[].address | endswith("@down.test")) | .arrival_time] | min')
age=$(dest_val mxwatch_oldest_message_age_seconds down.test)
awk -v a="$age" -v o="$oldest" -v now="$(date +%s)" 'BEGIN { exit !(a >= now - o - 3 && a <= now - o + 1) }' ||
    fail "oldest message age of down.test: $age s, but the oldest arrived $((($(date +%s) - oldest))) s ago"
assert_eq 1 "$(metric_value "$M" 'mxwatch_source_up{source="postfix_queue"}')" "postfix_queue up"
assert_eq 1 "$(metric_value "$M" 'mxwatch_source_up{source="postfix_log"}')" "postfix_log up"
assert_eq 1 "$(metric_value "$M" 'mxwatch_source_up{source="connections"}')" "connections up"

# Discovery: disc1.test (2 queued) joins, disc2.test (1 queued) is over the cap of 1.
assert_eq 2 "$(dest_val mxwatch_active_recipients disc1.test)" "disc1.test discovered with its queue"
assert_not_contains "$M" 'destination="disc2.test"' "metrics (disc2.test is over max_destinations)"
# A discovered destination is probed like a configured one, as soon as it joins (its name
# is not in the test's DNS: nxdomain), with no periodic walk of the store needed. Its status
# reason may be the delivery's ("refused": Postfix's transport map routes it to a closed
# port, global.status_source both), so the probe is seen in its own counter.
disc_probed() {
    M=$(scrape)
    [ "$(metric_value "$M" 'mxwatch_probes_total{destination="disc1.test",result="dns_nxdomain"}')" -ge 1 ] 2>/dev/null
}
wait_for 10 disc_probed || fail "discovered disc1.test was never probed: $(grep 'disc1.test' <<<"$M" | grep 'status\|probes_total')"

# Connections: as the kernel sees them, minus the agent's own probe sockets.
wait_for 20 conns_match || {
    M=$(scrape)
    conn_pairs | sed 's/^/  name agent ss: /' >&2
    fail "outbound connections differ from ss"
}
note "connections match: $(conn_pairs | awk '{ printf "%s=%s ", $1, $2 }')"

# ---- 2. rename rotation in the middle of a flow of mail ----
pf_send '' u3@up.test u4@up.test
postfix -c "$PF_CONF" logrotate >"$T/logrotate.out" 2>&1 || fail "postfix logrotate: $(cat "$T/logrotate.out")"
pf_send '' u5@up.test
pf_send '' r3@reject.test
wait_for 20 bash -c "ls '$PF_LOG'.*.gz" || fail "postfix logrotate left no compressed log"
wait_for 20 test -s "$PF_LOG" || fail "no new log after rotation"
expect_log_match "after a rename rotation"
assert_eq 6 "$(dest_val mxwatch_delivered_recipients_total up.test)" "delivered to up.test after rotation"

# ---- 3. copytruncate, then more mail ----
cp "$PF_LOG" "$PF_LOG.copytruncate"
: >"$PF_LOG"
pf_send '' u6@up.test
pf_send '' r4@reject.test
logged() { # RCPT...: each has a status line in the current log file
    local r
    for r in "$@"; do grep -q "to=<$r>, .*status=" "$PF_LOG" || return 1; done
}
wait_for 20 logged u6@up.test r4@reject.test || fail "no mail logged after the truncation"
expect_log_match "after a copytruncate"
assert_eq 7 "$(dest_val mxwatch_delivered_recipients_total up.test)" "delivered to up.test after copytruncate"

# ---- 4. restart: mail logged while the agent is down counts once, the rest not again ----
for k in delivered_up completed_up soft_down 5xx_reject dns_unknown; do BASE[$k]=0; done
M=$(scrape)
while read -r k agent _; do BASE[$k]=$agent; done < <(log_pairs)
kill -TERM "$AGENT_PID"
wait_for 5 bash -c "! kill -0 $AGENT_PID" || fail "agent did not stop"
[ -s "$T/postfix-log.state" ] || fail "no state file after stop"
pf_send '' u7@up.test u8@up.test
pf_send '' r5@reject.test
wait_for 20 logged u7@up.test u8@up.test r5@reject.test || fail "no mail logged while the agent was down"
start_agent "$T/agent.yml"
expect_log_match "after a restart"
M=$(scrape)
assert_eq 2 "$(dest_val mxwatch_delivered_recipients_total up.test)" "delivered to up.test since the restart"
assert_eq 1 "$(dest_val mxwatch_hard_bounced_recipients_total reject.test 'reason="5xx"')" "5xx bounces since the restart"
expect_queue_match "after a restart"

# ---- 5. postsuper removal and expiry, per destination ----
# The restarted agent knows a message's recipients from its next delivery attempt.
deferred_before=$(lcount deferred 'down\.test')
retried() { [ "$(lcount deferred 'down\.test')" -ge $((deferred_before + 3)) ]; }
pf_flush
wait_for 20 retried || fail "the flush did not retry down.test's three recipients"
expect_log_match "after a flush"
qid=$(pf_queue_json | jq -r 'select(.recipients[].address == "y1@down.test") | .queue_id')
[ -n "$qid" ] || fail "y1@down.test is not queued"
postsuper -c "$PF_CONF" -d "$qid" >/dev/null 2>&1 || fail "postsuper -d $qid failed"
deleted_one() {
    M=$(scrape)
    [ "$(dest_val mxwatch_deleted_recipients_total down.test)" = 1 ]
}
wait_for 20 deleted_one ||
    fail "the removal of $qid (1 recipient of down.test) was not counted"
read -r left _ <<<"$(queue_expect down.test)"
assert_eq 2 "$left" "down.test recipients left before expiry"
# disc2.test's message goes first: expiring in the same flush, it could outlive disc1.test's
# by one queue scan and, busier then, push disc1.test out of discovery (cap 1) before the log
# lines of disc1.test's expiry are read.
qid=$(pf_queue_json | jq -r 'select(.recipients[].address == "e1@disc2.test") | .queue_id')
[ -n "$qid" ] || fail "e1@disc2.test is not queued"
postsuper -c "$PF_CONF" -d "$qid" >/dev/null 2>&1 || fail "postsuper -d $qid failed"
pf_set 'maximal_queue_lifetime = 1s' 'bounce_queue_lifetime = 1s'
pf_flush
expired_ok() { # flushed again each time: the first flush may come before the reload took
    pf_flush
    M=$(scrape)
    [ "$(dest_val mxwatch_hard_bounced_recipients_total down.test 'reason="expired"')" = 2 ] &&
        [ "$(dest_val mxwatch_hard_bounced_recipients_total disc1.test 'reason="expired"')" = 2 ]
}
wait_for 30 expired_ok || {
    scrape | grep -E 'expired|deleted' >&2
    fail "expiry of down.test (2) and disc1.test (2) not counted"
}
assert_eq 1 "$(log_all | grep -c "status=expired, returned to sender" | awk '{ print ($1 >= 2) }')" "expired messages in the log (s2 to down.test, s8 to disc1.test)"
expect_queue_match "after expiry"
M=$(scrape)
assert_eq 0 "$(metric_value "$M" 'mxwatch_source_errors_total{source="postfix_log"}')" "postfix_log errors"
assert_eq 0 "$(metric_value "$M" 'mxwatch_source_errors_total{source="postfix_queue"}')" "postfix_queue errors"
note "ok"
