#!/usr/bin/env bash
# timeout: 120
# tls_policy: MTA-STS, DANE and TLS-RPT per destination against a local world. NSD serves
# the TXT, TLSA, MX and A records; a policy host (deploy/demo/sts_server.py) serves the policy
# files over HTTPS with a certificate of a test CA; two mxw-smtpd present a certificate
# valid for the MX names and one that is not. Checked: an enforced policy every MX passes
# (up, 0 failing), one MX failing among two (up, 1 failing, its host bad_cert), an enforced
# policy no MX passes (down, reason mta_sts), testing mode (up), a malformed policy file, a
# malformed TXT record, a policy host that redirects, a TLS-RPT record and a malformed one;
# DANE-EE and DANE-TA records that match, one that does not (reported, not authenticated
# so the status stays up), unusable records; the findings in /metrics (promtool-valid), the
# JSON API, hoststatus, the page and SNMP; the PTR name of an MX address; with
# global.tls_policy off no TXT or TLSA query is made.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/nsd.sh"
source "$MXW_TOP/tests/lib/dnssec.sh"
source "$MXW_TOP/deploy/demo/snmpd.sh"

SMTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
DNS_PORT=$(free_port)
GOOD=127.0.0.21 # presents a certificate valid for every mx1/mx2 name below
BAD=127.0.0.22  # presents one for wrong.test only

note "a test CA, the MX certificates and the policy host's"
make_ca
DOMS="sts-ok sts-part sts-down sts-testing sts-badpolicy sts-badtxt sts-redirect dane-ok dane-ta dane-bad dane-unusable"
sans=""
for d in $DOMS; do sans="${sans:+$sans,}DNS:mx1.$d.test,DNS:mx2.$d.test"; done
make_cert good "$sans"
make_cert bad "DNS:wrong.test"
sans=""
for d in $DOMS; do sans="${sans:+$sans,}DNS:mta-sts.$d.test"; done
make_cert policyhost "$sans"

spki_sha256() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
cert_sha256() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
LEAF_SPKI=$(spki_sha256 "$T/good.leaf")
CA_CERT=$(cert_sha256 "$T/ca.pem")

note "the zone: MX, A, TXT and TLSA records"
{
    printf '$ORIGIN test.\n$TTL 60\n@ IN SOA ns.test. admin.test. 1 3600 600 86400 60\n'
    printf '@ IN NS ns.test.\nns IN A 127.0.0.1\n'
    for d in $DOMS; do printf 'mta-sts.%s IN A 127.0.0.1\n' "$d"; done
    # one MX each, valid certificate, unless said below
    for d in sts-ok sts-testing sts-badpolicy sts-badtxt sts-redirect dane-ok dane-ta dane-bad dane-unusable; do
        printf '%s IN MX 10 mx1.%s.test.\nmx1.%s IN A %s\n' "$d" "$d" "$d" "$GOOD"
    done
    printf 'sts-part IN MX 10 mx1.sts-part.test.\nsts-part IN MX 20 mx2.sts-part.test.\n'
    printf 'mx1.sts-part IN A %s\nmx2.sts-part IN A %s\n' "$GOOD" "$BAD"
    printf 'sts-down IN MX 10 mx1.sts-down.test.\nmx1.sts-down IN A %s\n' "$GOOD"
    printf '_mta-sts.sts-ok IN TXT "v=STSv1; id=20261207a;"\n'
    printf '_mta-sts.sts-part IN TXT "v=STSv1; " "id=p1"\n' # two strings, joined
    printf '_mta-sts.sts-down IN TXT "v=STSv1; id=d1"\n'
    printf '_mta-sts.sts-testing IN TXT "v=STSv1; id=t1"\n'
    printf '_mta-sts.sts-badpolicy IN TXT "v=STSv1; id=b1"\n'
    printf '_mta-sts.sts-badtxt IN TXT "v=STSv1; id=not-alnum"\n'
    printf '_mta-sts.sts-redirect IN TXT "v=STSv1; id=r1"\n'
    printf '_smtp._tls.sts-ok IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@sts-ok.test"\n'
    printf '_smtp._tls.sts-part IN TXT "v=TLSRPTv1; rua=ftp://reports.sts-part.test"\n'
    printf '_25._tcp.mx1.dane-ok IN TLSA 3 1 1 %s\n' "$LEAF_SPKI"
    printf '_25._tcp.mx1.dane-ta IN TLSA 2 0 1 %s\n' "$CA_CERT"
    printf '_25._tcp.mx1.dane-bad IN TLSA 3 1 1 %s\n' "$(printf '%064d' 0)"
    printf '_25._tcp.mx1.dane-unusable IN TLSA 1 1 1 %s\n' "$LEAF_SPKI"
} >"$T/test.zone"
# the PTR of the good MX address, as telnet would show it
printf '$ORIGIN in-addr.arpa.\n$TTL 60\n@ IN SOA ns.test. admin.test. 1 3600 600 86400 60\n@ IN NS ns.test.\n21.0.0.127 IN PTR mx-good.ptr.test.\n' >"$T/arpa.zone"
NSD_ZONES="in-addr.arpa=$T/arpa.zone"
dnssec_sign "$T/test.zone"
start_nsd "$DNS_PORT" "$T/test.zone.signed"
VALIDATOR_PORT=$(free_port)
start_validator "$VALIDATOR_PORT" "$DNS_PORT"

note "the policy files"
mkdir -p "$T/sts"
policy() { printf 'version: STSv1\nmode: %s\nmax_age: 86400\n' "$1"; shift; printf 'mx: %s\n' "$@"; }
policy enforce mx1.sts-ok.test >"$T/sts/mta-sts.sts-ok.test"
policy enforce '*.sts-part.test' >"$T/sts/mta-sts.sts-part.test"
policy enforce mx9.elsewhere.test >"$T/sts/mta-sts.sts-down.test"
policy testing mx1.other.test >"$T/sts/mta-sts.sts-testing.test"
printf 'version: STSv1\nmode: strict\nmax_age: 86400\nmx: mx1.sts-badpolicy.test\n' \
    >"$T/sts/mta-sts.sts-badpolicy.test"
echo "https://elsewhere.test/policy" >"$T/sts/mta-sts.sts-redirect.test.redirect"
start_sts_server "$HTTPS_PORT" policyhost "$T/sts"
curl -fsS --cacert "$T/ca.pem" --connect-to "mta-sts.sts-ok.test:443:127.0.0.1:$HTTPS_PORT" \
    https://mta-sts.sts-ok.test/.well-known/mta-sts.txt | grep -q 'mode: enforce' ||
    fail "the policy host does not serve sts-ok's policy"

note "the MX servers"
start_smtpd --tls-cert "$T/good.pem" --tls-key "$T/good.key" --hostname mx.good.test \
    --listen "$GOOD:$SMTP_PORT=ok"
start_smtpd --tls-cert "$T/bad.pem" --tls-key "$T/bad.key" --hostname mx.bad.test \
    --listen "$BAD:$SMTP_PORT=ok"
wait_tcp "$GOOD" "$SMTP_PORT"
wait_tcp "$BAD" "$SMTP_PORT"

config() { # config TLS_POLICY [DNS_PORT]
    cat <<EOF
global:
  probe_interval: 3s
  down_after: 1
  smtp_port: $SMTP_PORT
  dns_servers: ["127.0.0.1:${2:-$DNS_PORT}"]
  tls_policy: $1
  tls_ca_file: $T/ca.pem
  mta_sts_port: $HTTPS_PORT
snmp: {enabled: true, agentx_socket: "$AGENTX_SOCKET"}
destinations:
EOF
    for d in $DOMS; do echo "  - domain: $d.test"; done
}
start_snmpd
MXW=.1.3.6.1.4.1.32473.725
snmp_col() { # snmp_col COLUMN DOMAIN: one mxwDestinationTable cell
    local idx
    idx=$(printf '%s' "$2" | od -An -tu1 | tr -s ' \n' '.' | sed 's/^\.//; s/\.$//')
    snmpget -v2c -c public -t 2 -On -Oqv "127.0.0.1:$SNMPD_PORT" "$MXW.1.2.1.$1.${#2}.$idx"
}
config true >"$T/mxwatch.yml"
start_agent "$T/mxwatch.yml"

api() { curl -fsS --max-time 5 "$AGENT_URL/api/v1/destinations/$1"; }
checked() { [ "$(api "$1" | jq -r '.tls_policy.checked_at != null and .last_probe > 0')" = true ]; }
for d in $DOMS; do
    wait_for 30 checked "$d.test" || fail "$d.test: no policy check and probe within 30 s"
done
# one more probe round, so every probe ran with the policy known
sleep 4
M=$(scrape)
mv() { metric_value "$M" "$1"; }

note "MTA-STS enforce, every MX passes: up, nothing failing, TLS-RPT shown"
J=$(api sts-ok.test)
assert_eq "enforce" "$(jq -r .tls_policy.mta_sts.mode <<<"$J")" "sts-ok mode"
assert_eq "20261207a" "$(jq -r .tls_policy.mta_sts.id <<<"$J")" "sts-ok id"
assert_eq "ok" "$(jq -r '.mx[0].mta_sts' <<<"$J")" "sts-ok mx1 verdict"
assert_eq "up" "$(jq -r .status <<<"$J")" "sts-ok status"
assert_eq 1 "$(mv 'mxwatch_mta_sts_mode{destination="sts-ok.test",mode="enforce"}')" "sts-ok mode metric"
assert_eq 0 "$(mv 'mxwatch_mta_sts_mx_failing{destination="sts-ok.test"}')" "sts-ok failing"
assert_eq 1 "$(mv 'mxwatch_tls_rpt_published{destination="sts-ok.test"}')" "sts-ok TLS-RPT"
assert_eq "mailto:tls-reports@sts-ok.test" "$(jq -r .tls_policy.tls_rpt.rua <<<"$J")" "rua"
exp=$(mv 'mxwatch_mta_sts_policy_expiry_timestamp_seconds{destination="sts-ok.test"}')
now=$(date +%s)
[ -n "$exp" ] && awk -v e="$exp" -v n="$now" 'BEGIN { exit !(e > n + 86000 && e < n + 86500) }' ||
    fail "sts-ok policy expiry $exp is not about now + max_age 86400 ($now)"

note "enforce, one of two MX with a certificate not valid for its name: up, 1 failing"
J=$(api sts-part.test)
assert_eq "ok bad_cert" "$(jq -r '[.mx[].mta_sts] | join(" ")' <<<"$J")" "sts-part verdicts"
assert_eq "up" "$(jq -r .status <<<"$J")" "sts-part status"
assert_eq 1 "$(mv 'mxwatch_mta_sts_mx_failing{destination="sts-part.test"}')" "sts-part failing"
assert_eq "malformed" "$(jq -r .tls_policy.tls_rpt.record <<<"$J")" "sts-part TLS-RPT record"
assert_eq 0 "$(mv 'mxwatch_tls_rpt_published{destination="sts-part.test"}')" "sts-part TLS-RPT metric"

note "enforce, the only MX is not in the policy: down, reason mta_sts"
J=$(api sts-down.test)
assert_eq "not_listed" "$(jq -r '.mx[0].mta_sts' <<<"$J")" "sts-down verdict"
assert_eq "down mta_sts" "$(jq -r '"\(.status) \(.reason)"' <<<"$J")" "sts-down status"
assert_eq 0 "$(mv 'mxwatch_destination_up{destination="sts-down.test"}')" "sts-down up metric"

note "testing mode: the failing MX is reported, the destination stays up"
J=$(api sts-testing.test)
assert_eq "testing not_listed up" "$(jq -r '"\(.tls_policy.mta_sts.mode) \(.mx[0].mta_sts) \(.status)"' <<<"$J")" "sts-testing"
assert_eq 1 "$(mv 'mxwatch_mta_sts_mode{destination="sts-testing.test",mode="testing"}')" "testing metric"

note "malformed policy file, malformed TXT record, a redirecting policy host"
J=$(api sts-badpolicy.test)
assert_eq "false" "$(jq -r .tls_policy.mta_sts.in_force <<<"$J")" "badpolicy not in force"
assert_contains "$(jq -r .tls_policy.mta_sts.error <<<"$J")" "line 2: mode is not enforce, testing or none" "badpolicy error"
assert_eq 1 "$(mv 'mxwatch_mta_sts_check_error{destination="sts-badpolicy.test"}')" "badpolicy error metric"
assert_eq "" "$(mv 'mxwatch_mta_sts_mode{destination="sts-badpolicy.test",mode="enforce"}')" "no mode without a policy"
J=$(api sts-badtxt.test)
assert_eq "malformed" "$(jq -r .tls_policy.mta_sts.record <<<"$J")" "badtxt record"
assert_contains "$(jq -r .tls_policy.mta_sts.error <<<"$J")" "id not letters and digits" "badtxt error"
J=$(api sts-redirect.test)
assert_contains "$(jq -r .tls_policy.mta_sts.error <<<"$J")" "HTTP status 302 (redirects are not followed)" "redirect refused"
assert_eq "false" "$(jq -r .tls_policy.mta_sts.in_force <<<"$J")" "redirect: no policy"

note "DANE: EE and TA records match, a wrong digest does not, PKIX usages are unusable"
for c in "dane-ok match" "dane-ta match" "dane-bad mismatch" "dane-unusable unusable"; do
    set -- $c
    J=$(api "$1.test")
    assert_eq "records $2" "$(jq -r '"\(.mx[0].tlsa) \(.mx[0].addresses[0].dane)"' <<<"$J")" "$1 DANE"
    assert_eq "false" "$(jq -r '.mx[0].tlsa_authenticated' <<<"$J")" "$1: NSD sets no AD bit"
    assert_eq "up" "$(jq -r .status <<<"$J")" "$1: unauthenticated TLSA never takes it down"
done
assert_eq 1 "$(mv 'mxwatch_dane_match_addresses{destination="dane-ok.test"}')" "dane-ok match metric"
assert_eq 1 "$(mv 'mxwatch_dane_failing_addresses{destination="dane-bad.test"}')" "dane-bad failing metric"
assert_eq 0 "$(mv 'mxwatch_dane_authenticated{destination="dane-bad.test"}')" "dane-bad authenticated metric"
assert_eq "" "$(mv 'mxwatch_dane_match_addresses{destination="sts-ok.test"}')" "no DANE family without TLSA"
assert_eq "" "$(mv 'mxwatch_tls_rpt_published{destination="dane-ok.test"}')" "no policy families for a destination that publishes nothing"
assert_eq "" "$(mv 'mxwatch_mta_sts_check_error{destination="dane-ok.test"}')" "nor a check error of 0"

note "hoststatus shows the policy and the hosts"
OUT=$("$MXWATCH" hoststatus --url "$AGENT_URL" sts-part.test)
assert_contains "$OUT" "MTA-STS:  enforce (id p1" "hoststatus policy line"
assert_contains "$OUT" "mx2.sts-part.test" "hoststatus host"
assert_contains "$OUT" "bad_cert" "hoststatus host verdict"
OUT=$("$MXWATCH" hoststatus --url "$AGENT_URL" dane-bad.test)
assert_contains "$OUT" "TLSA records (1, 1 usable, not authenticated)" "hoststatus TLSA"
assert_contains "$OUT" "DANE mismatch" "hoststatus DANE"

note "the destination's page shows the policy, the host verdicts and DANE"
PAGE=$(curl -fsS --max-time 5 "$AGENT_URL/destinations/sts-part.test")
assert_contains "$PAGE" "<h2>TLS policy</h2>" "page section"
assert_contains "$PAGE" "<span class=\"\">enforce</span> (id <code>p1</code>" "page policy"
assert_contains "$PAGE" "<span class=\"bad\">bad_cert</span>" "page host verdict"
PAGE=$(curl -fsS --max-time 5 "$AGENT_URL/destinations/sts-badpolicy.test")
assert_contains "$PAGE" "line 2: mode is not enforce, testing or none" "page policy fault"
PAGE=$(curl -fsS --max-time 5 "$AGENT_URL/destinations/dane-bad.test")
assert_contains "$PAGE" "<span class=\"bad\">mismatch</span>" "page DANE verdict"

note "SNMP: the TLS columns of mxwDestinationTable agree"
snmpd_wait_registered $MXW.1 10 || fail "the subagent did not register with snmpd"
assert_eq 4 "$(snmp_col 32 sts-ok.test)" "mxwDestMtaStsMode sts-ok (enforce)"
assert_eq 3 "$(snmp_col 32 sts-testing.test)" "mxwDestMtaStsMode sts-testing (testing)"
assert_eq 1 "$(snmp_col 32 sts-badpolicy.test)" "mxwDestMtaStsMode sts-badpolicy (noPolicy)"
assert_eq "$(printf '%.0f' "$exp")" "$(snmp_col 33 sts-ok.test)" "mxwDestMtaStsPolicyExpiry = /metrics"
assert_eq 1 "$(snmp_col 34 sts-part.test)" "mxwDestMtaStsFailingMx sts-part"
assert_contains "$(snmp_col 35 sts-badpolicy.test)" "line 2: mode is not enforce" "mxwDestMtaStsFault"
assert_contains "$(snmp_col 36 sts-ok.test)" "mailto:tls-reports@sts-ok.test" "mxwDestTlsRptRua"
assert_eq 3 "$(snmp_col 37 dane-bad.test)" "mxwDestDaneAuthenticated (not authenticated)"
assert_eq 1 "$(snmp_col 37 sts-ok.test)" "mxwDestDaneAuthenticated (no records)"
assert_eq 1 "$(snmp_col 38 dane-ok.test)" "mxwDestDaneMatchingAddrs"
assert_eq 1 "$(snmp_col 39 dane-bad.test)" "mxwDestDaneFailingAddrs"
assert_eq '"mta_sts"' "$(snmp_col 3 sts-down.test)" "mxwDestStatusReason sts-down"

note "the PTR name of an MX address: API, hoststatus, page and mxwatch probe"
ptr_of() { api sts-ok.test | jq -r '.mx[0].addresses[0].ptr'; }
wait_for 10 bash -c "[ \"\$(curl -fsS '$AGENT_URL/api/v1/destinations/sts-ok.test' | jq -r '.mx[0].addresses[0].ptr')\" = mx-good.ptr.test ]" ||
    fail "no PTR name for $GOOD in the API: $(ptr_of)"
assert_eq mx-good.ptr.test "$(api sts-down.test | jq -r '.mx[0].addresses[0].ptr')" "another destination behind the address"
assert_eq "" "$(api sts-part.test | jq -r '.mx[1].addresses[0].ptr')" "an address without a PTR record"
assert_contains "$("$MXWATCH" hoststatus --url "$AGENT_URL" sts-ok.test)" "PTR: mx-good.ptr.test" "hoststatus PTR"
assert_contains "$(curl -fsS "$AGENT_URL/destinations/sts-ok.test")" "<span class=\"sub\">mx-good.ptr.test</span>" "page PTR"
OUT=$("$MXWATCH" probe --config.file="$T/mxwatch.yml" sts-ok.test dane-bad.test 2>&1) || true
assert_contains "$OUT" "mx1.sts-ok.test [$GOOD]:$SMTP_PORT  ok  (PTR mx-good.ptr.test)" "mxwatch probe PTR"
assert_not_contains "$OUT" "[$BAD]:$SMTP_PORT  ok  (PTR" "no PTR line for an address without one"

note "promtool accepts /metrics"
promtool check metrics <<<"$M" >"$T/promtool.out" 2>&1 || fail "promtool: $(head -5 "$T/promtool.out")"

stop_agent() { kill "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null || true; }

note "through a validating resolver: authenticated TLSA, a mismatch takes the destination down"
stop_agent
config true "$VALIDATOR_PORT" >"$T/validated.yml"
start_agent "$T/validated.yml"
dane_state() { api "$1" | jq -r '"\(.mx[0].tlsa_authenticated) \(.mx[0].addresses[0].dane) \(.status) \(.reason)"'; }
wait_for 30 bash -c "[ \"\$(curl -fsS '$AGENT_URL/api/v1/destinations/dane-bad.test' | jq -r .status)\" = down ]" ||
    fail "dane-bad.test not down through the validator: $(dane_state dane-bad.test)"
for d in dane-ok dane-ta dane-unusable; do
    wait_for 20 bash -c "curl -fsS '$AGENT_URL/api/v1/destinations/$d.test' | jq -e '.mx[0].tlsa_authenticated' >/dev/null" ||
        fail "$d.test: no authenticated TLSA answer: $(dane_state $d.test)"
done
assert_eq "true mismatch down dane" "$(dane_state dane-bad.test)" "dane-bad authenticated"
assert_eq "true match up ok" "$(dane_state dane-ok.test)" "dane-ok authenticated"
assert_eq "true match up ok" "$(dane_state dane-ta.test)" "dane-ta authenticated"
assert_eq "true unusable up ok" "$(dane_state dane-unusable.test)" "unusable records: TLS, no DANE"
M=$(scrape)
assert_eq 1 "$(metric_value "$M" 'mxwatch_dane_authenticated{destination="dane-ok.test"}')" "authenticated metric"
grep -q "validation result is SECURE" "$T/validator.log" || fail "the validator validated nothing"

note "global.tls_policy off: no TXT or TLSA query"
stop_agent
config false >"$T/off.yml"
: >"$T/agent.log"
start_agent "$T/off.yml"
wait_for 20 bash -c "curl -fsS '$AGENT_URL/api/v1/destinations/dane-ok.test' | jq -e '.last_probe > 0' >/dev/null" ||
    fail "no probe with tls_policy off"
J=$(api dane-ok.test)
assert_eq "null none" "$(jq -r '"\(.tls_policy) \(.mx[0].tlsa)"' <<<"$J")" "nothing looked up"
assert_not_contains "$(scrape)" "mxwatch_mta_sts" "no MTA-STS families"
note "ok"
