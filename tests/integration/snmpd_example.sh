#!/usr/bin/env bash
# timeout: 60
# deploy/snmp/snmpd.conf.example works as written: a private snmpd started with it (only
# the listening address, the AgentX socket path and the socket's group rewritten for the
# test) accepts every line without a complaint, opens the AgentX master socket with the
# owner, group and mode the file asks for, answers the community inside its view (system
# group) and refuses what lies outside it (interfaces, host resources).
# Run by tests/run.sh; needs snmpd and the snmp tools (make deps).
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/mibs.sh"

for tool in snmpd snmpget; do
    command -v $tool >/dev/null || fail "$tool not installed (make deps)"
done
getent group Debian-snmp >/dev/null || fail "no Debian-snmp group (the snmpd package makes it)"

port=$(free_port)
sock=$T/agentx/master
# The example's group "mxwatch" does not exist here; Debian-snmp does.
sed -e "s|^agentAddress .*|agentAddress udp:127.0.0.1:$port|" \
    -e "s|^agentXSocket .*|agentXSocket $sock|" \
    -e "/^agentXPerms/s| mxwatch\$| Debian-snmp|" \
    "$MXW_TOP/deploy/snmp/snmpd.conf.example" >"$T/snmpd.conf"
assert_eq 3 "$(diff "$MXW_TOP/deploy/snmp/snmpd.conf.example" "$T/snmpd.conf" | grep -c '^>')" \
    "lines rewritten"

# -M/-m: snmpd's own MIB loading, kept to modules that exist so its log stays readable.
snmpd -f -C -c "$T/snmpd.conf" -M "$MIBDIR" -m SNMPv2-MIB -Lf "$T/snmpd.log" \
    -p "$T/snmpd.pid" &
track $!
wait_for 10 test -S "$sock" || fail "snmpd made no AgentX socket at $sock"
wait_for 10 grep -q 'NET-SNMP version' "$T/snmpd.log" || fail "snmpd did not start"

log=$(cat "$T/snmpd.log")
assert_contains "$log" "Turning on AgentX master support" "snmpd log"
if grep -Eiq "warning|error|unknown|can't|cannot|not found" <<<"$log"; then
    fail "snmpd complains about the example:"$'\n'"$log"
fi
assert_eq "Debian-snmp Debian-snmp 660" "$(stat -c '%U %G %a' "$sock")" "AgentX socket owner/mode"

get() { mib_snmp snmpget -v2c -c "${COMMUNITY:-public}" -t 1 -r 1 "127.0.0.1:$port" "$@"; }
out=$(get SNMPv2-MIB::sysUpTime.0)
assert_contains "$out" "Timeticks" "sysUpTime inside the view"
out=$(get SNMPv2-MIB::sysLocation.0)
assert_contains "$out" "ADAPT: site and rack" "sysLocation from the example"
for outside in .1.3.6.1.2.1.2.1.0 .1.3.6.1.2.1.25.1.1.0; do
    out=$(get "$outside")
    assert_contains "$out" "No Such Object" "$outside outside the view"
done
if COMMUNITY=private get SNMPv2-MIB::sysUpTime.0 >/dev/null 2>&1; then
    fail "an unknown community got an answer"
fi
echo "snmpd_example: ok"
