#!/usr/bin/env bash
# timeout: 120
# demo_findings: the deeper checks on the demo world of `make run` (issue 16's "done when"),
# each finding with its reason on /metrics, the JSON API, hoststatus, the status page and
# SNMP: sts.test enforces MTA-STS and its mx2 shows a certificate for another name (1 MX
# failing, bad_cert); dane.test's TLSA record matches no certificate (mismatch, not
# authenticated: the world's DNS is not signed); greylist.test greylists at RCPT, which its
# transaction probe sees (down, throttled, by transaction, 451 4.7.1 at RCPT); the sending
# address 127.0.0.2 is listed on the world's DNSBL with its reason and passes FCrDNS.
# And `mxwatch smtpping` times a real transaction in that world.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/world.sh"
source "$MXW_TOP/deploy/demo/snmpd.sh"
start_snmpd
WORLD_SNMP=true
WORLD_AGENTX_SOCKET=$AGENTX_SOCKET
WORLD_INTERVAL=6s
start_world
start_agent "$WORLD_CONFIG"

api() { curl -fsS --max-time 5 "$AGENT_URL/api/v1/destinations/$1"; }
found() { # every finding reported
    [ "$(api sts.test | jq -r '[.mx[].mta_sts] | join(" ")')" = "ok bad_cert" ] &&
        [ "$(api dane.test | jq -r '.mx[0].addresses[0].dane')" = mismatch ] &&
        [ "$(api greylist.test | jq -r '"\(.status) \(.reason)"')" = "down throttled" ] &&
        [ "$(curl -fsS "$AGENT_URL/api/v1/destinations" | jq -r '.sender.addresses[0].dnsbl[0].state')" = listed ]
}
wait_for 40 found || fail "the demo world's findings did not all show: sts $(api sts.test | jq -c '[.mx[].mta_sts]'), dane $(api dane.test | jq -c '.mx[0].addresses[0].dane'), greylist $(api greylist.test | jq -c '[.status, .reason]')"
M=$(scrape)
v() { metric_value "$M" "$1"; }

note "sts.test: an enforced MTA-STS policy mx2.sts.test fails (a certificate for another name)"
assert_eq 1 "$(v 'mxwatch_mta_sts_mode{destination="sts.test",mode="enforce"}')" "/metrics mode"
assert_eq 1 "$(v 'mxwatch_mta_sts_mx_failing{destination="sts.test"}')" "/metrics failing MX"
assert_eq 1 "$(v 'mxwatch_tls_rpt_published{destination="sts.test"}')" "/metrics TLS-RPT"
OUT=$("$MXWATCH" hoststatus --url "$AGENT_URL" sts.test)
assert_contains "$OUT" "MTA-STS:  enforce (id demo20261207" "hoststatus policy"
assert_contains "$OUT" "$(printf '%-25s' mx2.sts.test)MTA-STS bad_cert" "hoststatus: mx2 and why"
assert_contains "$(curl -fsS "$AGENT_URL/destinations/sts.test")" '<span class="bad">bad_cert</span>' "page"

note "dane.test: a TLSA record no certificate matches, not authenticated"
assert_eq 1 "$(v 'mxwatch_dane_failing_addresses{destination="dane.test"}')" "/metrics DANE failing"
assert_eq 0 "$(v 'mxwatch_dane_authenticated{destination="dane.test"}')" "/metrics not authenticated"
OUT=$("$MXWATCH" hoststatus --url "$AGENT_URL" dane.test)
assert_contains "$OUT" "TLSA records (1, 1 usable, not authenticated)" "hoststatus TLSA"
assert_contains "$OUT" "DANE mismatch" "hoststatus DANE"
assert_contains "$(curl -fsS "$AGENT_URL/destinations/dane.test")" '<span class="bad">mismatch</span>' "page"

note "greylist.test: greylisted at RCPT, seen by its transaction probe"
assert_eq 0 "$(v 'mxwatch_transaction_success{destination="greylist.test"}')" "/metrics transaction"
assert_eq 451 "$(v 'mxwatch_transaction_reply_code{destination="greylist.test",phase="rcpt"}')" "/metrics RCPT reply"
assert_eq 1 "$(v 'mxwatch_destination_status_reason_info{destination="greylist.test",reason="throttled"}')" "/metrics reason"
OUT=$("$MXWATCH" hoststatus --url "$AGENT_URL" greylist.test)
assert_contains "$OUT" "down (throttled) by transaction" "hoststatus status and signal"
assert_contains "$(grep -E '^  rcpt ' <<<"$OUT")" "451 4.7.1" "hoststatus RCPT reply code"
assert_contains "$(grep -E '^  rcpt ' <<<"$OUT")" "Greylisted" "hoststatus RCPT reply text"
assert_contains "$(curl -fsS "$AGENT_URL/destinations/greylist.test")" "Greylisted" "page"

note "the sending address: listed on bl.demo.test with its reason, FCrDNS ok"
assert_eq 1 "$(v 'mxwatch_sender_listed{address="127.0.0.2",zone="bl.demo.test"}')" "/metrics listed"
assert_eq 1 "$(v 'mxwatch_sender_fcrdns_ok{address="127.0.0.2"}')" "/metrics FCrDNS"
PAGE=$(curl -fsS "$AGENT_URL/")
assert_contains "$PAGE" "mail.mxwatch.demo.test" "page PTR"
assert_contains "$PAGE" "Listed on the demo DNSBL" "page reason"

note "SNMP: the same findings in mxwDestinationTable"
MXW=.1.3.6.1.4.1.32473.725
snmp_col() { # snmp_col COLUMN DOMAIN
    local idx
    idx=$(printf '%s' "$2" | od -An -tu1 | tr -s ' \n' '.' | sed 's/^\.//; s/\.$//')
    snmpget -v2c -c public -t 2 -On -Oqv "127.0.0.1:$SNMPD_PORT" "$MXW.1.2.1.$1.${#2}.$idx"
}
snmpd_wait_registered $MXW.1 10 || fail "the subagent did not register with snmpd"
assert_eq 4 "$(snmp_col 32 sts.test)" "mxwDestMtaStsMode (enforce)"
assert_eq 1 "$(snmp_col 34 sts.test)" "mxwDestMtaStsFailingMx"
assert_eq 3 "$(snmp_col 37 dane.test)" "mxwDestDaneAuthenticated (notAuthenticated)"
assert_eq 1 "$(snmp_col 39 dane.test)" "mxwDestDaneFailingAddrs"
assert_eq 2 "$(snmp_col 2 greylist.test)" "mxwDestStatus (down)"
assert_eq '"throttled"' "$(snmp_col 3 greylist.test)" "mxwDestStatusReason"
assert_eq 4 "$(snmp_col 27 greylist.test)" "mxwDestStatusSignal (transaction)"
assert_eq 451 "$(snmp_col 43 greylist.test)" "mxwDestTxnReplyCode"

note "smtpping times a real transaction in the demo world"
RC=0
OUT=$("$MXWATCH" smtpping --config.file="$WORLD_CONFIG" --count 2 --interval 200ms \
    postmaster@beta.test 2>&1) || RC=$?
assert_eq 0 "$RC" "smtpping exit status"
assert_contains "$OUT" "--- postmaster@beta.test smtpping statistics ---" "summary"
assert_contains "$OUT" "2 transactions, 2 succeeded" "both went through"
RC=0
OUT=$("$MXWATCH" smtpping --config.file="$WORLD_CONFIG" --rcpt-only someone@greylist.test 2>&1) || RC=$?
assert_eq 1 "$RC" "smtpping to the greylister: a failed transaction"
assert_contains "$OUT" "451 4.7.1 Greylisted" "the greylister's reply"
note "ok"
