#!/usr/bin/env bash
# timeout: 90
# mxwGatewayTable over a real snmpd (AgentX master): the row of a polled appliance carries
# the figures of status.xml exactly (lifetime counters as Counter64, gauges, the soonest
# licence expiry, the system status word); while a poll fails mxwGwUp is false(2) and the
# columns keep the last good figures, as MXWATCH-MIB says, with mxwGwLastSuccess unchanged;
# a row exists for an appliance that never succeeded, with only its up, duration and
# last-success columns.
. "$(dirname "$0")/../lib/common.sh"
. "$MXW_TOP/tests/lib/gateway.sh"
. "$MXW_TOP/deploy/demo/snmpd.sh"

start_gateway_server
start_snmpd
printf '%s\n' "$GATEWAY_PASSWORD" >"$T/password"
cat >"$T/mxwatch.yml" <<EOC
snmp:
  enabled: true
  agentx_socket: $AGENTX_SOCKET
sources:
  gateways:
    - name: gw1
      url: https://127.0.0.1:$GATEWAY_PORT
      username: $GATEWAY_USER
      password_file: $T/password
      ca_file: $GATEWAY_CA
      interval: 1s
      timeout: 2s
    - name: gw-noca
      url: https://127.0.0.1:$GATEWAY_PORT
      username: $GATEWAY_USER
      password_file: $T/password
      interval: 1s
EOC
start_agent "$T/mxwatch.yml"

ENTRY=.1.3.6.1.4.1.32473.725.1.4.1 # mxwGatewayEntry, as snmpget -On prints it
GW1=3.103.119.49                                # length-prefixed "gw1"
NOCA=7.103.119.45.110.111.99.97                 # length-prefixed "gw-noca"
snmpd_wait_registered "$ENTRY" || fail "mxwGatewayTable is not served"

# col N [INDEX]: the value of column N of gw1's row (or INDEX's), type and value.
col() {
    snmpget -v2c -c public -t 2 -r 0 -On -Oe 127.0.0.1:"$SNMPD_PORT" "$ENTRY.$1.${2:-$GW1}" |
        sed 's/^[^=]*= //'
}
gw1_up() { [ "$(col 2)" = "INTEGER: $1" ]; }

wait_for 10 gw1_up 1 || fail "mxwGwUp of gw1 never became true(1)"
# Every column but the timings, from status.xml.
check_figures() {
    assert_eq 'STRING: "online"' "$(col 3)" "mxwGwSystemStatus$1"
    assert_eq "Gauge32: 1873" "$(col 4)" "mxwGwOldestMessageAge$1"
    assert_eq "Gauge32: 1342" "$(col 5)" "mxwGwActiveRecipients$1"
    assert_eq "Gauge32: 211" "$(col 6)" "mxwGwUnattemptedRecipients$1"
    assert_eq "Gauge32: 1131" "$(col 7)" "mxwGwAttemptedRecipients$1"
    assert_eq "Gauge32: 8" "$(col 8)" "mxwGwConnectionsIn$1"
    assert_eq "Gauge32: 23" "$(col 9)" "mxwGwConnectionsOut$1"
    assert_eq "Counter64: 2149983" "$(col 10)" "mxwGwDeliveredRecipients$1"
    assert_eq "Counter64: 120433" "$(col 11)" "mxwGwSoftBounceEvents$1"
    assert_eq "Counter64: 40021" "$(col 12)" "mxwGwHardBouncedRecipients$1"
    assert_eq "Counter64: 5002" "$(col 13)" "mxwGwDnsHardBounces$1"
    assert_eq "Counter64: 28710" "$(col 14)" "mxwGw5xxHardBounces$1"
    assert_eq "Counter64: 1409" "$(col 15)" "mxwGwFilterHardBounces$1"
    assert_eq "Counter64: 3388" "$(col 16)" "mxwGwExpiredHardBounces$1"
    assert_eq "Counter64: 1512" "$(col 17)" "mxwGwOtherHardBounces$1"
    assert_eq "Counter64: 1893342" "$(col 18)" "mxwGwInjectedMessages$1"
    # Features: Perpetual, 25920000, -86400, Dormant: the expired one comes first.
    assert_eq "INTEGER: -86400" "$(col 19)" "mxwGwLicenseSecondsRemaining$1"
}
note "gw1 up: the figures of status.xml"
check_figures ""
dur=$(col 20)
if ! [[ $dur =~ ^Gauge32:\ ([0-9]+)$ ]] || [ "${BASH_REMATCH[1]}" -ge 2000 ]; then
    fail "mxwGwScrapeDuration '$dur'"
fi
last=$(col 21)
if ! [[ $last =~ ^Gauge32:\ ([0-9]+)$ ]] || [ $(($(date +%s) - BASH_REMATCH[1])) -gt 10 ]; then
    fail "mxwGwLastSuccess '$last' is not recent"
fi

note "gw1 down (HTTP 500): up false(2), the last good figures kept, last success frozen"
gateway_mode 500
wait_for 10 gw1_up 2 || fail "mxwGwUp of gw1 did not become false(2)"
frozen=$(col 21)
check_figures " while down"
sleep 1.5
assert_eq "$frozen" "$(col 21)" "mxwGwLastSuccess while down"
gateway_mode ok
wait_for 10 gw1_up 1 || fail "gw1 did not come back"

note "gw-noca never succeeded: a row with up, duration and last success 0 only"
assert_eq "INTEGER: 2" "$(col 2 "$NOCA")" "mxwGwUp of gw-noca"
assert_eq "Gauge32: 0" "$(col 21 "$NOCA")" "mxwGwLastSuccess of gw-noca"
assert_contains "$(col 5 "$NOCA")" "No Such Instance" "mxwGwActiveRecipients of gw-noca"
walk=$(snmpwalk -v2c -c public -t 2 -r 0 -On 127.0.0.1:"$SNMPD_PORT" "$ENTRY")
assert_eq 3 "$(grep -c "^$ENTRY\.[0-9]*\.$NOCA = " <<<"$walk")" "gw-noca columns in a walk"
assert_eq 20 "$(grep -c "^$ENTRY\.[0-9]*\.$GW1 = " <<<"$walk")" "gw1 columns in a walk"
note "mxwGatewayTable behaves"
