#!/usr/bin/env bash
# timeout: 90
# sender_reputation: the sending addresses' reputation (global.sending_addresses,
# global.dnsbl_zones) as NSD on loopback serves it. 127.0.9.1 has a PTR whose name
# resolves back to it (FCrDNS ok) and is listed on bl.test (127.0.0.2 with a TXT reason);
# 127.0.9.2's PTR name resolves elsewhere (FCrDNS fails), it is not listed on bl.test
# (NXDOMAIN) and is listed on bl2.test with a TXT reason far longer than the bound (cut);
# 127.0.9.3 has no PTR (fails) and bl.test answers it 127.255.255.254 (a zone error, not a
# listing); 2001:db8::25 has a PTR under ip6.arpa (nibbles) that resolves back to it. Checked
# in /metrics, the JSON API and the status page. Then, with a resolver that answers nobody,
# nothing is reported listed or failing: the states stay unknown (their samples are absent).
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/nsd.sh"

long=$(printf 'x%.0s' $(seq 1 250))
cat >"$T/test.zone" <<EOZ
\$ORIGIN test.
\$TTL 300
@ IN SOA ns.test. admin.test. 1 3600 600 86400 300
@ IN NS ns.test.
ns IN A 127.0.0.1
good.fcrdns IN A 127.0.9.1
bad.fcrdns IN A 127.0.9.99
v6.fcrdns IN AAAA 2001:db8::25
1.9.0.127.bl IN A 127.0.0.2
1.9.0.127.bl IN TXT "Listed: see https://bl.test/lookup?ip=" "127.0.9.1"
3.9.0.127.bl IN A 127.255.255.254
2.9.0.127.bl2 IN A 127.0.0.10
2.9.0.127.bl2 IN TXT "$long" "$long" "$long"
EOZ
cat >"$T/arpa.zone" <<'EOZ'
$ORIGIN arpa.
$TTL 300
@ IN SOA ns.test. admin.test. 1 3600 600 86400 300
@ IN NS ns.test.
1.9.0.127.in-addr IN PTR Good.FCrDNS.test.
2.9.0.127.in-addr IN PTR bad.fcrdns.test.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6 IN PTR v6.fcrdns.test.
EOZ
NSD_PORT=$(free_port)
NSD_ZONES="arpa=$T/arpa.zone" start_nsd "$NSD_PORT" "$T/test.zone"

config() { # config DNS-PORT
    cat <<EOC
global:
  dns_servers: ["127.0.0.1:$1"]
  dns_timeout: 1s
  dns_tries: 1
  sending_addresses: [127.0.9.1, 127.0.9.2, 127.0.9.3, "2001:db8::25"]
  dnsbl_zones: [bl.test, bl2.test]
  reputation_interval: 1m
snmp: {enabled: false}
EOC
}
config "$NSD_PORT" >"$T/agent.yml"
start_agent "$T/agent.yml"
checked() { scrape | grep -q '^mxwatch_sender_check_timestamp_seconds{address="2001:db8::25"}'; }
wait_for 15 checked || fail "no reputation round ended: $(scrape | grep sender_ || true)"
m=$(scrape)
v() { metric_value "$m" "$1"; }
assert_eq 1 "$(v 'mxwatch_sender_listed{address="127.0.9.1",zone="bl.test"}')" "127.0.9.1 on bl.test"
assert_eq 0 "$(v 'mxwatch_sender_listed{address="127.0.9.2",zone="bl.test"}')" "127.0.9.2 on bl.test"
assert_eq 1 "$(v 'mxwatch_sender_listed{address="127.0.9.2",zone="bl2.test"}')" "127.0.9.2 on bl2.test"
assert_eq "" "$(v 'mxwatch_sender_listed{address="127.0.9.3",zone="bl.test"}')" "127.0.9.3 on bl.test (an error code is no listing)"
assert_eq 1 "$(v 'mxwatch_sender_dnsbl_error{address="127.0.9.3",zone="bl.test"}')" "bl.test's error code for 127.0.9.3"
assert_eq 0 "$(v 'mxwatch_sender_dnsbl_error{address="127.0.9.1",zone="bl.test"}')" "no zone error for 127.0.9.1"
assert_eq 1 "$(v 'mxwatch_sender_fcrdns_ok{address="127.0.9.1"}')" "127.0.9.1 FCrDNS"
assert_eq 0 "$(v 'mxwatch_sender_fcrdns_ok{address="127.0.9.2"}')" "127.0.9.2 FCrDNS (PTR name elsewhere)"
assert_eq 0 "$(v 'mxwatch_sender_fcrdns_ok{address="127.0.9.3"}')" "127.0.9.3 FCrDNS (no PTR)"
assert_eq 1 "$(v 'mxwatch_sender_fcrdns_ok{address="2001:db8::25"}')" "2001:db8::25 FCrDNS (ip6.arpa)"
assert_eq 0 "$(v 'mxwatch_sender_listed{address="2001:db8::25",zone="bl.test"}')" "2001:db8::25 on bl.test"
promtool check metrics <<<"$m" >"$T/promtool.out" 2>&1 || fail "promtool: $(cat "$T/promtool.out")"

api=$(curl -fsS "$AGENT_URL/api/v1/destinations")
jq -e . >/dev/null <<<"$api" || fail "the API's document does not parse"
a1=$(jq -c '.sender.addresses[] | select(.address == "127.0.9.1")' <<<"$api")
assert_eq good.fcrdns.test "$(jq -r .ptr <<<"$a1")" "127.0.9.1's PTR (lower case)"
assert_eq ok "$(jq -r .fcrdns <<<"$a1")" "127.0.9.1's FCrDNS in the API"
assert_eq listed "$(jq -r '.dnsbl[] | select(.zone == "bl.test") | .state' <<<"$a1")" "127.0.9.1 on bl.test in the API"
assert_eq 127.0.0.2 "$(jq -r '.dnsbl[] | select(.zone == "bl.test") | .code' <<<"$a1")" "the listing's code"
assert_eq "Listed: see https://bl.test/lookup?ip=127.0.9.1" "$(jq -r '.dnsbl[] | select(.zone == "bl.test") | .text' <<<"$a1")" "the listing's TXT reason"
a2=$(jq -c '.sender.addresses[] | select(.address == "127.0.9.2")' <<<"$api")
assert_eq fail "$(jq -r .fcrdns <<<"$a2")" "127.0.9.2's FCrDNS in the API"
reason=$(jq -r '.dnsbl[] | select(.zone == "bl2.test") | .text' <<<"$a2")
[ "${#reason}" -ge 200 ] && [ "${#reason}" -lt 256 ] || fail "bl2.test's reason is ${#reason} bytes: not cut to its bound"
a3=$(jq -c '.sender.addresses[] | select(.address == "127.0.9.3")' <<<"$api")
assert_eq error "$(jq -r '.dnsbl[] | select(.zone == "bl.test") | .state' <<<"$a3")" "127.0.9.3 on bl.test in the API"
assert_eq 127.255.255.254 "$(jq -r '.dnsbl[] | select(.zone == "bl.test") | .code' <<<"$a3")" "bl.test's error code"

page=$(curl -fsS "$AGENT_URL/")
assert_contains "$page" "Sending addresses" "the status page"
assert_contains "$page" "good.fcrdns.test" "the status page"
assert_contains "$page" "zone error" "the status page"
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true

# The agent's own trouble: a resolver that answers nobody. Nothing is listed or failing.
SILENT=$(free_port)
start_silent_dns "$SILENT"
config "$SILENT" >"$T/agent2.yml"
start_agent "$T/agent2.yml"
wait_for 30 checked || fail "no reputation round ended with a silent resolver"
m=$(scrape)
assert_not_contains "$(grep -v '^#' <<<"$m")" "mxwatch_sender_listed{" "/metrics with a silent resolver"
assert_not_contains "$(grep -v '^#' <<<"$m")" "mxwatch_sender_fcrdns_ok{" "/metrics with a silent resolver"
assert_not_contains "$(grep -v '^#' <<<"$m")" "mxwatch_sender_dnsbl_error{" "/metrics with a silent resolver"
api=$(curl -fsS "$AGENT_URL/api/v1/destinations")
assert_eq unknown "$(jq -r '.sender.addresses[0].fcrdns' <<<"$api")" "FCrDNS with a silent resolver"
assert_eq unknown "$(jq -r '.sender.addresses[0].dnsbl[0].state' <<<"$api")" "bl.test with a silent resolver"
echo "ok"
