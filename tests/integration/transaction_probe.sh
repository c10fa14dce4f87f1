#!/usr/bin/env bash
# timeout: 120
# transaction_probe: the daemon runs the transaction probes of destinations[].transaction
# (issue 16 item 2) against mxw-smtpd on loopback, its MX found through a private dnsmasq:
#  - rcpt mode against a greylisting MX: the first transaction is refused with 451 at RCPT,
#    so the destination is down with reason throttled (throttled_is_down by default) by the
#    signal transaction, though its banner probe greets; the confirmation a few seconds later
#    is admitted: up again;
#  - rcpt mode against an MX that answers 550 at RCPT: down, reason rejected;
#  - data mode: the message arrives (the server logs its Message-ID and X-Mxwatch-Probe),
#    mxwatch_transaction_success 1;
#  - a destination without `transaction:` gets no transaction session: no MAIL from us;
#  - /metrics (promtool-valid), the API, hoststatus, the page and SNMP show the results;
#  - a reload that removes a section drops its result; one that changes a section keeps it.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/snmpd.sh"

P=$(free_port)
dns=$(free_port)
cat >"$T/zone.conf" <<EOZ
mx-host=grey.test,mx.grey.test,10
host-record=mx.grey.test,127.0.3.1
mx-host=reject.test,mx.reject.test,10
host-record=mx.reject.test,127.0.3.2
mx-host=data.test,mx.data.test,10
host-record=mx.data.test,127.0.3.3
mx-host=plain.test,mx.plain.test,10
host-record=mx.plain.test,127.0.3.4
EOZ
start_dnsmasq "$dns" "$T/zone.conf"
start_smtpd --hostname mx.txn.test --log "$T/events.log" \
    --listen "127.0.3.1:$P=greylist" --listen "127.0.3.2:$P=rcpt5xx" \
    --listen "127.0.3.3:$P=ok" --listen "127.0.3.4:$P=ok"
wait_tcp 127.0.3.4 "$P"
start_snmpd
cat >"$T/mxwatch.yml" <<EOF
global:
  probe_interval: 4s
  down_after: 1
  smtp_port: $P
  ehlo_name: agent.txn.test
  dns_servers: ["127.0.0.1:$dns"]
snmp: {enabled: true, agentx_socket: "$AGENTX_SOCKET"}
destinations:
  - domain: grey.test
    transaction: {mode: rcpt, from: probe@agent.txn.test, to: canary@grey.test, every: 1m}
  - domain: reject.test
    transaction: {mode: rcpt, from: probe@agent.txn.test, to: nobody@reject.test, every: 1m}
  - domain: data.test
    transaction: {mode: data, from: probe@agent.txn.test, to: canary@data.test, every: 1m, size: 700}
  - domain: plain.test
EOF
start_agent "$T/mxwatch.yml"

api() { curl -fsS --max-time 5 "$AGENT_URL/api/v1/destinations/$1"; }
state() { api "$1" | jq -r '"\(.status) \(.reason) \(.status_signal)"'; }
has_txn() { [ "$(api "$1" | jq -r '.transaction != null')" = true ]; }

note "greylist: throttled first (down by default), then admitted at the confirmation"
wait_for 15 grep -q "destination=grey.test from=[a-z]* to=down reason=throttled signal=transaction" \
    "$T/agent.log" || fail "grey.test never down/throttled by the transaction: $(state grey.test)"
wait_for 25 bash -c "[ \"\$(curl -fsS '$AGENT_URL/api/v1/destinations/grey.test' | jq -r '\"\(.status) \(.reason) \(.status_signal)\"')\" = 'up ok transaction' ]" ||
    fail "grey.test not up again after the greylist admitted: $(state grey.test)"
J=$(api grey.test)
assert_eq true "$(jq -r .transaction.success <<<"$J")" "grey.test transaction success"
assert_eq rcpt "$(jq -r .transaction.mode <<<"$J")" "grey.test mode"
assert_eq "canary@grey.test" "$(jq -r .transaction.to <<<"$J")" "grey.test to"
assert_eq "250 250" "$(jq -r '[.transaction.phases[] | select(.phase == "rcpt" or .phase == "rset") | .reply_code] | join(" ")' <<<"$J")" "grey.test rcpt and rset codes"
n=$(grep -c "listener=127.0.3.1:$P .*verb=RCPT" "$T/events.log")
assert_eq 2 "$n" "RCPTs to the greylisting MX (the first and its confirmation)"

note "rcpt5xx: down, reason rejected, the 550 shown"
wait_for 15 has_txn reject.test || fail "no transaction for reject.test"
assert_eq "down rejected transaction" "$(state reject.test)" "reject.test state"
J=$(api reject.test)
assert_eq "rcpt 550 5.1.1" "$(jq -r '"\(.transaction.failed_phase) \(.transaction.phases[] | select(.phase == "rcpt") | "\(.reply_code) \(.enhanced_code)")"' <<<"$J")" "reject.test failed phase and reply"

note "data: the message arrives with its Message-ID and the probe header"
wait_for 15 has_txn data.test || fail "no transaction for data.test"
J=$(api data.test)
assert_eq "true data" "$(jq -r '"\(.transaction.success) \(.transaction.mode)"' <<<"$J")" "data.test transaction"
msgid=$(jq -r .transaction.message_id <<<"$J")
[[ $msgid == *@agent.txn.test ]] || fail "Message-ID '$msgid' is not random@ehlo-name"
grep "listener=127.0.3.3:$P .*msgid=\"<$msgid>\"" "$T/events.log" | grep -q 'probe="mxwatch transaction probe' ||
    fail "the server logged no probe message $msgid: $(grep event=message "$T/events.log")"

note "a destination without transaction: gets none"
wait_for 10 grep -q "listener=127.0.3.4:$P .*verb=EHLO" "$T/events.log" || fail "plain.test never probed"
assert_eq 0 "$(grep -c "listener=127.0.3.4:$P .*verb=MAIL" "$T/events.log")" "MAIL commands to plain.test"
assert_eq null "$(api plain.test | jq -r .transaction)" "plain.test transaction in the API"

note "/metrics: the transaction families, promtool-valid"
M=$(scrape)
assert_eq 1 "$(metric_value "$M" 'mxwatch_transaction_success{destination="data.test"}')" "data.test success metric"
assert_eq 0 "$(metric_value "$M" 'mxwatch_transaction_success{destination="reject.test"}')" "reject.test success metric"
assert_eq 550 "$(metric_value "$M" 'mxwatch_transaction_reply_code{destination="reject.test",phase="rcpt"}')" "reject.test rcpt code"
assert_eq 250 "$(metric_value "$M" 'mxwatch_transaction_reply_code{destination="data.test",phase="body"}')" "data.test body code"
[ -n "$(metric_value "$M" 'mxwatch_transaction_phase_seconds{destination="data.test",phase="data"}')" ] ||
    fail "no data phase time for data.test"
ts=$(metric_value "$M" 'mxwatch_transaction_last_timestamp_seconds{destination="data.test"}')
awk -v t="$ts" -v now="$(date +%s)" 'BEGIN { exit !(t > now - 120 && t <= now + 1) }' ||
    fail "transaction timestamp '$ts' is not recent"
assert_not_contains "$M" 'mxwatch_transaction_success{destination="plain.test"}' "/metrics for plain.test"
promtool check metrics <<<"$M" >"$T/promtool.out" 2>&1 || fail "promtool: $(head -5 "$T/promtool.out")"

note "hoststatus and the page show the transaction"
OUT=$("$MXWATCH" hoststatus --url "$AGENT_URL" reject.test)
assert_contains "$OUT" "Transaction probe:" "hoststatus section"
assert_contains "$OUT" "MAIL FROM:<probe@agent.txn.test> RCPT TO:<nobody@reject.test>" "hoststatus envelope"
assert_contains "$OUT" "no, failed at rcpt" "hoststatus verdict"
grep -qE "^  rcpt +[0-9.]+ ms +550 5\.1\.1 +550 5\.1\.1" <<<"$OUT" || fail "hoststatus rcpt line: $OUT"
assert_contains "$OUT" "(rejected) by transaction" "hoststatus status line"
PAGE=$(curl -fsS --max-time 5 "$AGENT_URL/destinations/reject.test")
assert_contains "$PAGE" "<h2>Transaction probe</h2>" "page section"
assert_contains "$PAGE" "failed at rcpt" "page verdict"
assert_contains "$PAGE" "the agent's transaction probe" "page: set by"
assert_not_contains "$(curl -fsS "$AGENT_URL/destinations/plain.test")" "Transaction probe" "plain.test page"

note "SNMP: the transaction columns of mxwDestinationTable"
MXW=.1.3.6.1.4.1.32473.725
snmp_col() { # snmp_col COLUMN DOMAIN: one mxwDestinationTable cell
    local idx
    idx=$(printf '%s' "$2" | od -An -tu1 | tr -s ' \n' '.' | sed 's/^\.//; s/\.$//')
    snmpget -v2c -c public -t 2 -On -Oqv "127.0.0.1:$SNMPD_PORT" "$MXW.1.2.1.$1.${#2}.$idx"
}
snmpd_wait_registered $MXW.1 10 || fail "the subagent did not register with snmpd"
assert_eq 1 "$(snmp_col 40 data.test)" "mxwDestTxnSuccess data.test (succeeded)"
assert_eq 2 "$(snmp_col 40 reject.test)" "mxwDestTxnSuccess reject.test (failed)"
assert_eq 3 "$(snmp_col 40 plain.test)" "mxwDestTxnSuccess plain.test (none)"
assert_eq "$(printf '%.0f' "$ts")" "$(snmp_col 41 data.test)" "mxwDestTxnTime = /metrics"
assert_eq '"rcpt"' "$(snmp_col 42 reject.test)" "mxwDestTxnFailedPhase"
assert_eq 550 "$(snmp_col 43 reject.test)" "mxwDestTxnReplyCode"
assert_contains "$(snmp_col 44 reject.test)" "550 5.1.1" "mxwDestTxnReply"
assert_eq 4 "$(snmp_col 27 reject.test)" "mxwDestStatusSignal (transaction)"

note "reload: a removed transaction section drops its result, a changed one runs on"
sed -i '/to: canary@data.test/d; s/to: nobody@reject.test, every: 1m/to: nobody@reject.test, every: 2m/' "$T/mxwatch.yml"
kill -HUP "$AGENT_PID"
wait_for 10 bash -c "[ \"\$(curl -fsS '$AGENT_URL/api/v1/destinations/data.test' | jq -r .transaction)\" = null ]" ||
    fail "data.test kept its transaction after the section was removed"
assert_eq 550 "$(api reject.test | jq -r '[.transaction.phases[] | select(.phase == "rcpt")][0].reply_code' )" "reject.test result kept"
curl -fsS --max-time 5 "$AGENT_URL/-/healthy" >/dev/null || fail "agent not healthy after the reload"
