#!/usr/bin/env bash
# timeout: 90
# The subagent and a master that comes and goes, with the default ping interval (15 s):
# the agent starts and serves /metrics with no snmpd running (mxwatch_agentx_connected 0);
# when snmpd appears, the mxwatch subtree is walkable within 20 s; after snmpd is killed
# (SIGKILL) and started again, it is walkable again within 20 s, with every row back.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/snmpd.sh"

MXW=.1.3.6.1.4.1.32473.725
sock=$T/agentx/master # where start_snmpd puts the master's socket
dport=$(free_port)    # a DNS server that answers nothing: the destinations stay unknown
cat >"$T/mxwatch.yml" <<EOC
global:
  dns_servers: ["127.0.0.1:$dport"]
destinations: [a.test, b.test, c.test]
snmp:
  agentx_socket: "$sock"
EOC
start_agent "$T/mxwatch.yml"
assert_eq 0 "$(metric_value "$(scrape)" mxwatch_agentx_connected)" "connected without a master"
grep -q 'msg="no AgentX master yet, trying every 15s"' "$T/agent.log" ||
    fail "no word about the missing master in the log"

rows() {
    snmpbulkwalk -v2c -c public -t 1 -r 0 -On -Cr50 "127.0.0.1:$SNMPD_PORT" $MXW.1.2.1.2 2>/dev/null |
        grep -c "^$MXW.1.2.1.2\." || true
}
walkable() { [ "$(rows)" = 3 ]; }

start_snmpd
t0=$(date +%s)
wait_for 20 walkable || fail "no rows 20 s after snmpd started"
note "registered $(($(date +%s) - t0)) s after snmpd started"
wait_for 2 bash -c "curl -fsS $AGENT_URL/metrics | grep -qx 'mxwatch_agentx_connected 1'" ||
    fail "mxwatch_agentx_connected is not 1"

restart_snmpd KILL
t0=$(date +%s)
walkable && fail "rows right after the restart: the old registration cannot have survived"
wait_for 20 walkable || fail "no rows 20 s after snmpd restarted"
note "registered again $(($(date +%s) - t0)) s after the restart"
grep -q 'msg="lost the AgentX master, reconnecting every 15s"' "$T/agent.log" ||
    fail "the lost master is not in the log"
kill -0 "$AGENT_PID" || fail "the agent died"
echo "snmp_master_restart: ok"
