#!/usr/bin/env bash
# delivery_status: a destination's status from real deliveries (issue 15 item 2), against a
# real, private Postfix (tests/lib/postfix.sh) and mxw-smtpd.
#  - throttle.test's MX greets with 220 and answers EHLO, so the agent's own SMTP probe says
#    up; but it defers every RCPT with 451 4.7.1 (mxw-smtpd mode rcpt4xx). Once Postfix has
#    tried a message, the destination is `down` (global.throttled_is_down defaults to true)
#    with reason `throttled`, signal `delivery`, and the 451 as its latest reply in the JSON
#    API, `hoststatus`, the page, /metrics and SNMP (mxwDestinationTable's delivery columns,
#    through a private snmpd); later probes that greet do not undo it.
#  - The server is restarted accepting (mode ok) and the queue flushed: the delivery
#    succeeds and the destination is `up` with signal `delivery`; the change is logged with
#    its signal; the latest 4XX/5XX reply stays. /metrics passes promtool with the two
#    delivery families in it.
# timeout: 90
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/postfix.sh"

P=$(free_port)
dns=$(free_port)
MX=127.0.0.61
cat >"$T/zone.conf" <<EOZ
mx-host=throttle.test,mx1.throttle.test,10
host-record=mx1.throttle.test,$MX
EOZ
start_dnsmasq "$dns" "$T/zone.conf"
# Postfix never retries by itself during the test: only pf_flush makes it try again.
start_postfix "$T/pf" "throttle.test=smtp:[$MX]:$P" \
    "queue_run_delay = 1h
minimal_backoff_time = 1h
maximal_backoff_time = 1h"

source "$MXW_TOP/deploy/demo/snmpd.sh"
start_snmpd
MXW=.1.3.6.1.4.1.32473.725
IDX=13.116.104.114.111.116.116.108.101.46.116.101.115.116 # "throttle.test", length-prefixed
snmp_col() { snmpget -v2c -c public -t 2 -On -Oqv "127.0.0.1:$SNMPD_PORT" "$MXW.1.2.1.$1.$IDX"; }

start_smtpd --hostname mx1.throttle.test --log "$T/smtpd-events.log" --listen "$MX:$P=rcpt4xx"
SMTPD_PID=$!
wait_tcp $MX "$P"

cat >"$T/agent.yml" <<EOC
global:
  probe_interval: 2s
  down_after: 1
  dns_servers: ["127.0.0.1:$dns"]
  smtp_port: $P
  connect_timeout: 1s
  banner_timeout: 2s
  total_timeout: 4s
  starttls: never
destinations: [throttle.test]
snmp: {enabled: true, agentx_socket: "$AGENTX_SOCKET"}
sources:
  postfix:
    enabled: true
    config_directory: $PF_CONF
    postqueue: $(command -v postqueue)
    queue_interval: 1s
    log_file: $PF_LOG
EOC
port=$(free_port)
URL=http://127.0.0.1:$port
"$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/agent.yml" --web.listen-address="127.0.0.1:$port" \
    --log.level=debug >>"$T/agent.log" 2>&1 &
track $!
wait_for 10 curl -fsS "$URL/-/healthy" || fail "agent did not come up"

doc() { curl -fsS "$URL/api/v1/destinations/throttle.test"; }
field() { # DOC KEY: the first string or number value of "KEY" in DOC
    grep -o "\"$2\":\(\"[^\"]*\"\|[0-9.e+-]*\|null\|true\|false\)" <<<"$1" | head -1 | cut -d: -f2- | tr -d '"'
}
up_by_probe() { local d; d=$(doc) && [ "$(field "$d" status)" = up ] && [ "$(field "$d" status_signal)" = probe ]; }
wait_for 20 up_by_probe || fail "throttle.test not up by its probe first: $(doc)"

note "a message to throttle.test: 220 at greeting, 451 at RCPT"
pf_send s@x.test u1@throttle.test
wait_for 20 grep -q 'to=<u1@throttle.test>.*status=deferred.*451 4.7.1' "$PF_LOG" ||
    fail "Postfix did not log the 451 deferral: $(tail -5 "$PF_LOG")"
throttled() { local d; d=$(doc) && [ "$(field "$d" reason)" = throttled ]; }
wait_for 10 throttled || fail "throttle.test is not throttled: $(doc)"
d=$(doc)
assert_eq down "$(field "$d" status)" "status (throttled_is_down: true)"
assert_eq delivery "$(field "$d" status_signal)" "the signal of the change"
assert_eq 451 "$(field "$d" reply_code)" "latest reply code"
assert_eq 4.7.1 "$(field "$d" enhanced_code)" "latest enhanced code"
assert_eq rcpt "$(field "$d" command)" "the command answered"
# the transport names the MX by address ([127.0.0.61]), so Postfix logs it as its host too
assert_eq $MX "$(field "$d" mx_host)" "the MX host of the attempt"
assert_eq $MX "$(field "$d" mx_address)" "the MX address of the attempt"
assert_contains "$d" '"reply":"451 4.7.1 Throttled: too many messages, try again later"' "latest reply text"
assert_contains "$d" '"success":false' "latest attempt failed"
assert_contains "$d" '"outcome":"ok"' "the probe's own verdict of the MX address"
changed=$(field "$d" status_changed)

note "later probes greet fine, and the verdict holds"
probed_since() { local d; d=$(doc) && awk -v a="$(field "$d" last_probe)" -v b="$changed" 'BEGIN { exit !(a > b + 2) }'; }
wait_for 15 probed_since || fail "no probe after the throttled verdict: $(doc)"
d=$(doc)
assert_eq down "$(field "$d" status)" "status after a probe that greets"
assert_eq throttled "$(field "$d" reason)" "reason after a probe that greets"
grep -q 'msg="destination status changed" destination=throttle.test from=up to=down reason=throttled signal=delivery' \
    "$T/agent.log" || fail "the change to down is not logged with its signal: $(grep 'status changed' "$T/agent.log")"

out=$("$MXWATCH" hoststatus --url="$URL" throttle.test) || fail "hoststatus failed: $out"
grep -qE '^Latest 4XX/5XX reply: +451 4.7.1 Throttled: too many messages, try again later \(RCPT, 127.0.0.61\[127.0.0.61\]' <<<"$out" ||
    fail "hoststatus has no latest 4XX/5XX reply: $out"
grep -qE '^Host up/down: +down \(throttled\) by delivery' <<<"$out" || fail "hoststatus has no status with its signal: $out"
page=$(curl -fsS "$URL/destinations/throttle.test")
assert_contains "$page" "Latest 4XX/5XX reply</th><td><code class=\"wrap\">451 4.7.1 Throttled: too many messages" "the page's latest reply"
assert_contains "$page" "last delivery attempt</td>" "the page names the signal"
m=$(curl -fsS "$URL/metrics")
assert_eq 0 "$(metric_value "$m" 'mxwatch_destination_last_delivery_success{destination="throttle.test"}')" \
    "mxwatch_destination_last_delivery_success while throttled"
ts=$(metric_value "$m" 'mxwatch_destination_last_delivery_timestamp_seconds{destination="throttle.test"}')
awk -v t="$ts" -v now="$(date +%s)" 'BEGIN { exit !(t > now - 60 && t <= now + 1) }' ||
    fail "mxwatch_destination_last_delivery_timestamp_seconds is not recent: $ts"
assert_not_contains "$m" "Throttled: too many" "the reply text in /metrics"
# The same through SNMP (mxwDestinationTable's delivery columns), equal to /metrics.
snmpd_wait_registered $MXW.1 10 || fail "the subagent did not register with snmpd"
assert_eq 2 "$(snmp_col 2)" "mxwDestStatus (down)"
assert_eq 2 "$(snmp_col 27)" "mxwDestStatusSignal (delivery)"
t_metric=$(metric_value "$m" 'mxwatch_destination_last_delivery_timestamp_seconds{destination="throttle.test"}')
assert_eq "$(awk -v t="$t_metric" 'BEGIN { printf "%d", t + 0.5 }')" "$(snmp_col 28)" "mxwDestLastDeliveryTime"
assert_eq 2 "$(snmp_col 29)" "mxwDestLastDeliverySuccess (failed)"
assert_eq 451 "$(snmp_col 30)" "mxwDestLastErrorReplyCode"
assert_contains "$(snmp_col 31)" "451 4.7.1 Throttled: too many messages, try again later" "mxwDestLastErrorReply"
promtool check metrics <<<"$m" >"$T/promtool.log" 2>&1 ||
    { cat "$T/promtool.log"; fail "promtool check metrics rejects /metrics with a delivery attempt"; }

note "the MX accepts again; the queue is flushed and the delivery succeeds"
kill "$SMTPD_PID"
wait "$SMTPD_PID" 2>/dev/null || true
start_smtpd --hostname mx1.throttle.test --log "$T/smtpd-events.log" --listen "$MX:$P=ok"
wait_tcp $MX "$P"
pf_flush
wait_for 20 grep -q 'to=<u1@throttle.test>.*status=sent' "$PF_LOG" ||
    fail "the message was not delivered after the flush: $(tail -5 "$PF_LOG")"
up_by_delivery() { local d; d=$(doc) && [ "$(field "$d" status)" = up ] && [ "$(field "$d" status_signal)" = delivery ]; }
wait_for 10 up_by_delivery || fail "throttle.test is not up by delivery: $(doc)"
d=$(doc)
assert_eq ok "$(field "$d" reason)" "reason after the delivery"
assert_eq 250 "$(field "$d" reply_code)" "latest reply code after the delivery"
assert_contains "$d" '"success":true' "latest attempt succeeded"
# The latest 4XX/5XX reply stays after the success, as on the vendor's page.
assert_contains "$d" '"latest_error_reply":{' "the latest 4XX/5XX reply after the delivery"
assert_eq 451 "$(field "${d#*\"latest_error_reply\":}" reply_code)" "its code after the delivery"
out=$("$MXWATCH" hoststatus --url="$URL" throttle.test) || fail "hoststatus failed: $out"
grep -qE '^Latest 4XX/5XX reply: +451 4.7.1 Throttled: too many messages, try again later \(RCPT, 127.0.0.61\[127.0.0.61\], [0-9]+s ago\)' <<<"$out" ||
    fail "hoststatus lost the latest 4XX/5XX reply after the delivery: $out"
grep -qE '^Last delivery attempt: .*, sent$' <<<"$out" || fail "hoststatus has no sent attempt: $out"
assert_eq 1 "$(snmp_col 2)" "mxwDestStatus (up)"
assert_eq 1 "$(snmp_col 29)" "mxwDestLastDeliverySuccess (sent)"
assert_eq 451 "$(snmp_col 30)" "mxwDestLastErrorReplyCode after the delivery"
grep -q 'msg="destination status changed" destination=throttle.test from=down to=up reason=ok signal=delivery' \
    "$T/agent.log" || fail "the change to up is not logged with its signal"
m=$(curl -fsS "$URL/metrics")
assert_eq 1 "$(metric_value "$m" 'mxwatch_destination_last_delivery_success{destination="throttle.test"}')" \
    "mxwatch_destination_last_delivery_success after the delivery"
