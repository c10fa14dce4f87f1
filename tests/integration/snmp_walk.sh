#!/usr/bin/env bash
# timeout: 90
# The SNMP subagent behind a real snmpd (AgentX master) on the demo world: a bulk walk of
# the whole mxwatch subtree, numeric, returns every instance once in strictly increasing
# OID order; the destination and MX tables hold the same status, reason, MX count, status
# change time and TLS expiry as /metrics; the MIB's names work (snmpget, snmptable);
# mxwAgentDestinations counts the rows; the MTA-MIB has one mtaGroupTable row per destination
# named after it, hanging from the applTable row "mxwatch"; net-snmp's log lands in ours;
# SIGTERM still stops the agent within 2 s.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/mibs.sh"
source "$MXW_TOP/deploy/demo/world.sh"
source "$MXW_TOP/deploy/demo/snmpd.sh"

MXW=.1.3.6.1.4.1.32473.725
DEST=$MXW.1.2.1
MX=$MXW.1.3.1

WORLD_SMTP_PORT=$(free_port) # not the fixed default: other tests may run the world too
start_snmpd "rwcommunity private 127.0.0.1" # so that a set reaches the subagent
WORLD_INTERVAL=6s WORLD_SNMP=true WORLD_AGENTX_SOCKET=$AGENTX_SOCKET start_world
start_agent "$WORLD_CONFIG"

all_settled() {
    local m d exp
    m=$(scrape)
    for d in $WORLD_DOMAINS; do
        exp=$(world_expect "$d")
        [ "$(metric_value "$m" "mxwatch_destination_status{destination=\"$d\",status=\"${exp% *}\"}")" = 1 ] || return 1
        [ "$(metric_value "$m" "mxwatch_destination_status_reason_info{destination=\"$d\",reason=\"${exp#* }\"}")" = 1 ] || return 1
    done
}
wait_for 25 all_settled || fail "the demo world's destinations did not settle"
snmpd_wait_registered $MXW.1 10 || fail "the subagent did not register with snmpd"
assert_eq 1 "$(metric_value "$(scrape)" mxwatch_agentx_connected)" "mxwatch_agentx_connected"

# idx DOMAIN: the length-prefixed index of a destination row.
idx() { printf '%d' "${#1}"; printf '%s' "$1" | od -An -tu1 -v | tr -s ' \n' '..' | sed 's/\.$//'; }
walk() { snmpbulkwalk -v2c -c public -t 2 -r 1 -On -Cr50 "127.0.0.1:$SNMPD_PORT" "$@"; }
value() { # OID -> the value part of its line in $T/walk.txt
    awk -v o="$1" '$1 == o { sub(/^[^=]*= [^:]*: ?/, ""); print; exit }' "$T/walk.txt"
}

# in_order FILE: every OID of a walk once, in strictly increasing order.
in_order() {
    python3 - "$1" <<'EOP'
import sys
prev, n = None, 0
for line in open(sys.argv[1]):
    if not line.startswith('.'):
        continue
    oid = tuple(int(x) for x in line.split(' = ')[0].strip('.').split('.'))
    if prev is not None and oid <= prev:
        sys.exit(f"{'.'.join(map(str, oid))} after {'.'.join(map(str, prev))}")
    prev, n = oid, n + 1
print(f"# {n} instances in order")
EOP
}
walk $MXW >"$T/walk.txt"
in_order "$T/walk.txt" || fail "the walk of the mxwatch subtree is out of order"

n_dest=$(wc -w <<<"$WORLD_DOMAINS")
assert_eq "$n_dest" "$(value $MXW.1.1.1.0)" "mxwAgentDestinations"
assert_eq "$n_dest" "$(grep -c "^$DEST\.2\." "$T/walk.txt")" "rows of mxwDestStatus"
assert_eq "$((n_dest * 43))" "$(grep -c "^$DEST\." "$T/walk.txt")" "cells of mxwDestinationTable"

m=$(scrape)
for d in $WORLD_DOMAINS; do
    i=$(idx "$d")
    exp=$(world_expect "$d")
    st=${exp% *}
    case $st in up) code=1 ;; down) code=2 ;; esac
    assert_eq "$code" "$(value "$DEST.2.$i")" "$d mxwDestStatus"
    assert_eq "\"${exp#* }\"" "$(value "$DEST.3.$i")" "$d mxwDestStatusReason"
    assert_eq "$(metric_value "$m" "mxwatch_destination_mx_records{destination=\"$d\"}")" \
        "$(value "$DEST.5.$i")" "$d mxwDestMxCount"
    changed=$(metric_value "$m" "mxwatch_destination_status_change_timestamp_seconds{destination=\"$d\"}")
    assert_eq "$(printf '%.0f' "${changed:-0}")" "$(value "$DEST.4.$i")" "$d mxwDestStatusChanged"
    assert_eq 1 "$(value "$DEST.26.$i")" "$d mxwDestOrigin (config)"
    # No MTA in this world: the status is the probe's (greylist.test's its transaction
    # probe's), and no delivery was seen.
    signal=1
    [ "$d" != greylist.test ] || signal=4
    assert_eq "$signal" "$(value "$DEST.27.$i")" "$d mxwDestStatusSignal (probe or transaction)"
    assert_eq 0 "$(value "$DEST.28.$i")" "$d mxwDestLastDeliveryTime"
    assert_eq 3 "$(value "$DEST.29.$i")" "$d mxwDestLastDeliverySuccess (none)"
    assert_eq 0 "$(value "$DEST.30.$i")" "$d mxwDestLastErrorReplyCode"
    assert_eq "$DEST.31.$i = \"\"" "$(grep "^$DEST\.31\.$i " "$T/walk.txt")" "$d mxwDestLastErrorReply (empty)"
done

# mxwMxTable: alpha.test's two exchangers in preference order, each up, with TLS expiry.
a=$(idx alpha.test)
assert_eq '"mx1.alpha.test"' "$(value "$MX.4.$a.10.1.4.127.0.0.11")" "alpha.test MX 10"
assert_eq '"mx2.alpha.test"' "$(value "$MX.4.$a.20.1.4.127.0.0.12")" "alpha.test MX 20"
assert_eq 1 "$(value "$MX.5.$a.10.1.4.127.0.0.11")" "mx1.alpha.test mxwMxStatus"
assert_eq 1 "$(value "$MX.11.$a.10.1.4.127.0.0.11")" "mx1.alpha.test mxwMxStartTlsOffered"
expiry=$(metric_value "$m" 'mxwatch_tls_cert_expiry_timestamp_seconds{destination="alpha.test",mx="mx1.alpha.test",address="127.0.0.11",preference="10"}')
[ -n "$expiry" ] || fail "no TLS expiry for mx1.alpha.test on /metrics"
assert_eq "$(printf '%.0f' "$expiry")" "$(value "$MX.14.$a.10.1.4.127.0.0.11")" "mxwMxTlsCertExpiry"
r=$(idx refused.test)
assert_eq 3 "$(value "$MX.6.$r.10.1.4.127.0.0.14")" "mx.refused.test mxwMxOutcome refused(3)"

# Writes are refused (read-only registrations, through net-snmp's own request path).
if out=$(snmpset -v2c -c private -t 2 -r 0 "127.0.0.1:$SNMPD_PORT" "$DEST.2.$a" i 2 2>&1); then
    fail "snmpset succeeded: $out"
fi
assert_contains "$out" "notWritable" "snmpset's error"
assert_eq 1 "$(snmpget -v2c -c public -t 2 -On -Oqv "127.0.0.1:$SNMPD_PORT" "$DEST.2.$a")" \
    "alpha.test still up after the refused set"

# By name, with the MIB loaded.
out=$(mib_snmp snmpget -v2c -c public -t 2 "127.0.0.1:$SNMPD_PORT" \
    'MXWATCH-MIB::mxwDestStatus."alpha.test"' 'MXWATCH-MIB::mxwDestStatus."nxdomain.test"' \
    'MXWATCH-MIB::mxwAgentVersion.0')
assert_contains "$out" 'mxwDestStatus."alpha.test" = INTEGER: up(1)' "snmpget by name"
assert_contains "$out" 'mxwDestStatus."nxdomain.test" = INTEGER: down(2)' "snmpget by name"
assert_contains "$out" "mxwAgentVersion.0 = STRING: 0.1.0" "snmpget by name"
out=$(mib_snmp snmptable -v2c -c public -t 2 -Ci -Cf '|' "127.0.0.1:$SNMPD_PORT" \
    MXWATCH-MIB::mxwDestinationTable)
grep -qF '"throttled.test"|down|banner_4xx|' <<<"$out" || fail "snmptable has no throttled.test row:"$'\n'"$out"
out=$(mib_snmp snmpbulkwalk -v2c -c public -t 2 -Cr50 "127.0.0.1:$SNMPD_PORT" MXWATCH-MIB::mxwMxHostName)
assert_contains "$out" 'mxwMxHostName."alpha.test".10.ipv4."127.0.0.11" = STRING: mx1.alpha.test' \
    "mxwMxTable by name"

# MTA-MIB: one group per destination, named after it, under applIndex 1.
walk .1.3.6.1.2.1.27 >"$T/walk.txt"
assert_eq '"mxwatch"' "$(value .1.3.6.1.2.1.27.1.1.2.1)" "applName.1"
walk .1.3.6.1.2.1.28 >"$T/walk.txt"
names=$(grep '^.1.3.6.1.2.1.28.2.1.25.1.' "$T/walk.txt" | sed 's/.*STRING: "\(.*\)"/\1/' | sort | tr '\n' ' ')
assert_eq "$(tr ' ' '\n' <<<"$WORLD_DOMAINS" | sort | tr '\n' ' ')" "$names" "mtaGroupName rows"
assert_eq "$n_dest" "$(grep -c '^.1.3.6.1.2.1.28.2.1.10.1.' "$T/walk.txt")" "mtaGroupStoredRecipients rows"
assert_eq ".1.3.6.1.2.1.27.4.25" "$(value .1.3.6.1.2.1.28.2.1.24.1.1)" "mtaGroupMailProtocol (SMTP)"

# Across registrations (GETNEXT): from snmpd's own hrSWInstalledDate (mib-2 25) through the
# subagent's applTable (27) and MTA-MIB (28) to snmpd's next subtree, all in order.
snmpwalk -v2c -c public -t 2 -r 1 -On -CE .1.3.6.1.2.1.31 "127.0.0.1:$SNMPD_PORT" \
    .1.3.6.1.2.1.25.6.3.1.5 >"$T/walk.txt"
in_order "$T/walk.txt" || fail "the walk across registrations is out of order"
grep -q '^.1.3.6.1.2.1.25.6.3.1.5.' "$T/walk.txt" || fail "the walk misses hrSWInstalledDate"
grep -q '^.1.3.6.1.2.1.28.2.1.25.1.1 = ' "$T/walk.txt" || fail "the walk misses mtaGroupName.1.1"

grep -q 'subsys=snmp msg="net-snmp: NET-SNMP version .* AgentX subagent connected"' "$T/agent.log" ||
    fail "net-snmp's own log line is not in the agent's log"
# A connected subagent does not slow the agent's stop down.
start=$(date +%s%N)
kill -TERM "$AGENT_PID"
wait_for 2 bash -c "! kill -0 $AGENT_PID 2>/dev/null" || fail "agent still running 2 s after SIGTERM"
note "stopped in $((($(date +%s%N) - start) / 1000000)) ms"
grep -q 'subsys=snmp msg="SNMP subagent stopped"' "$T/agent.log" || fail "no clean stop of the subagent"
echo "snmp_walk: ok"
