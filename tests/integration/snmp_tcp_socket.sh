#!/usr/bin/env bash
# timeout: 60
# The AgentX master on TCP (tcp:127.0.0.1:PORT) instead of a Unix socket, named by the
# --agentx.socket flag over a configuration that names another socket: the subagent
# connects there and the mxwatch subtree is walkable through snmpd.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/snmpd.sh"

MXW=.1.3.6.1.4.1.32473.725
AGENTX_SOCKET=tcp:127.0.0.1:$(free_port)
start_snmpd
cat >"$T/mxwatch.yml" <<EOC
global:
  dns_servers: ["127.0.0.1:$(free_port)"]
destinations: [a.test, bb.test]
snmp:
  agentx_socket: /nonexistent/agentx/master
  ping_interval: 1s
EOC
start_agent "$T/mxwatch.yml" --agentx.socket="$AGENTX_SOCKET"
snmpd_wait_registered $MXW.1 10 || fail "the subagent did not register over $AGENTX_SOCKET"
out=$(snmpbulkwalk -v2c -c public -t 2 -On "127.0.0.1:$SNMPD_PORT" $MXW.1.2.1.26)
assert_eq 2 "$(grep -c "^$MXW.1.2.1.26\." <<<"$out")" "mxwDestOrigin rows"
assert_contains "$out" "$MXW.1.2.1.26.6.97.46.116.101.115.116 = INTEGER: 1" "a.test first (shorter)"
grep -q "registered with the AgentX master\" socket=$AGENTX_SOCKET" "$T/agent.log" ||
    fail "the log does not name the TCP socket"
echo "snmp_tcp_socket: ok"
