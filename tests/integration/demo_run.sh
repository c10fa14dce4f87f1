#!/usr/bin/env bash
# timeout: 150
# `make run`'s script (deploy/demo/run.sh) as a user runs it, on a terminal (tests/lib/
# pty_run.py): it prints the URLs, the agent serves the demo world over HTTP and through its
# private snmpd, and Ctrl-C stops the agent and everything started for it, with no error
# logged and nothing left running, whatever order the stop reaches the agent and snmpd in:
#   ctrl_c      a plain Ctrl-C: the agent stops first, while its AgentX master is still there
#   snmpd_first snmpd is killed first, then Ctrl-C
#   together    the agent and snmpd get SIGINT at once (what a Ctrl-C to every process did)
# In the sanitizer build, a leak or report from any of these stops fails the test (deploy/demo/lib.sh).
source "$(dirname "$0")/../lib/common.sh"

walk() { snmpbulkwalk -v2c -c public -On -Oq -t 2 -r 1 "127.0.0.1:$snmp_port" 1.3.6.1.4.1.32473.725.1.2 2>/dev/null; }
# Status column (2) of alpha.test: the index is the length-prefixed name.
alpha_idx=$(printf '%d' "'a").$(printf 'lpha.test' | od -An -tu1 | tr -s ' ' '.' | sed 's/^\.//;s/\.$//')
alpha_up() {
    local rows
    rows=$(walk) && grep -q "^.1.3.6.1.4.1.32473.725.1.2.1.2.10.$alpha_idx 1$" <<<"$rows"
}

# demo_start NAME: make run's script on a terminal; sets OUT, PTY, AGENT_URL, snmp_port,
# world (the demo's temp dir), agent_pid and snmpd_pid, once alpha.test is up over SNMP.
demo_start() {
    local port
    port=$(free_port)
    OUT=$T/demo-$1.log
    env LISTEN="127.0.0.1:$port" WORLD_INTERVAL=5s \
        python3 "$MXW_TOP/tests/lib/pty_run.py" "$OUT" 60 bash "$MXW_TOP/deploy/demo/run.sh" "$BUILD" &
    PTY=$!
    track $PTY
    AGENT_URL=http://127.0.0.1:$port
    wait_for 30 curl -fsS "$AGENT_URL/-/healthy" || fail "$1: make run's agent did not come up"
    assert_contains "$(cat "$OUT")" "status page   $AGENT_URL/" "make run's banner"
    assert_contains "$(cat "$OUT")" "metrics       $AGENT_URL/metrics" "make run's banner"
    snmp_port=$(sed -n 's/.*snmpbulkwalk -v2c -c public 127.0.0.1:\([0-9]*\) .*/\1/p' "$OUT")
    [ -n "$snmp_port" ] || fail "$1: no SNMP port in make run's banner"
    world=$(sed -n 's/^ *config *\(.*\)\/world\.yml.*/\1/p' "$OUT" | tr -d '\r')
    [ -d "$world" ] || fail "$1: no world directory in make run's banner"
    on_exit "pkill -KILL -f '$world/'"
    agent_pid=$(pgrep -f "mxwatch run (--run-as-root )?--config.file=$world/world.yml")
    snmpd_pid=$(cat "$world/snmpd.pid")
    wait_for 30 alpha_up || fail "$1: alpha.test is not up(1) in mxwDestinationTable"
}

# demo_stopped NAME: the script ended on its own, said goodbye, left nothing running and
# logged nothing at error level.
demo_stopped() {
    wait_for 15 bash -c "! kill -0 $PTY 2>/dev/null" || fail "$1: make run did not stop"
    local left
    left=$(pgrep -f "$world/" | tr '\n' ' ' || true)
    [ -z "$left" ] || fail "$1: processes left after the stop: $(ps -o pid,args -p "${left// /,}")"
    assert_contains "$(cat "$OUT")" "demo world stopped" "$1: make run's goodbye"
    assert_contains "$(cat "$OUT")" 'subsys=snmp msg="SNMP subagent stopped"' "$1: the agent's log"
    if grep -E 'level=error|netsnmp_assert' "$OUT"; then
        fail "$1: the stop logged errors"
    fi
    local stop
    stop=$(sed -n '/subsys=daemon msg="stopping"/,$p' "$OUT")
    [ -n "$stop" ] || fail "$1: the agent did not log its stop"
    assert_not_contains "$stop" "reconnecting in" "$1: the agent's log after the stop began"
    assert_not_contains "$stop" "reconnecting every" "$1: the agent's log after the stop began"
}

# 1. Ctrl-C: the agent stops before the world, so its master is there to the end.
demo_start ctrl_c
kill -USR1 "$PTY"
demo_stopped ctrl_c
assert_not_contains "$(cat "$OUT")" "AgentX master went away" "ctrl_c: the agent's log (snmpd stopped before the agent)"
assert_not_contains "$(cat "$OUT")" "lost the AgentX master" "ctrl_c: the agent's log (snmpd stopped before the agent)"

# 2. The master disappears first; the agent notices, then the user stops it.
demo_start snmpd_first
kill -TERM "$snmpd_pid"
wait_for 20 grep -q "lost the AgentX master" "$OUT" || fail "snmpd_first: the agent did not notice snmpd's end"
kill -USR1 "$PTY"
demo_stopped snmpd_first

# 3. Both at once: the subagent may find its master gone in the middle of saying goodbye.
demo_start together
kill -INT "$agent_pid" "$snmpd_pid"
demo_stopped together
note "ok"
