#!/usr/bin/env bash
# timeout: 90
# `make run`'s script (tests/lib/demo.sh) as a user runs it: it prints the URLs, the agent
# serves the demo world over HTTP and through its private snmpd, and Ctrl-C (SIGINT) stops
# the agent and everything started for it.
source "$(dirname "$0")/../lib/common.sh"
port=$(free_port)
setsid env LISTEN=127.0.0.1:$port WORLD_INTERVAL=5s bash "$MXW_TOP/tests/lib/demo.sh" "$BUILD" \
    >"$T/demo.out" 2>"$T/demo.log" &
demo=$!
track $demo
AGENT_URL=http://127.0.0.1:$port
wait_for 20 curl -fsS "$AGENT_URL/-/healthy" || fail "make run's agent did not come up"
out=$(cat "$T/demo.out")
assert_contains "$out" "status page   $AGENT_URL/" "make run's banner"
assert_contains "$out" "metrics       $AGENT_URL/metrics" "make run's banner"
snmp_port=$(sed -n 's/.*snmpbulkwalk -v2c -c public 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/demo.out")
[ -n "$snmp_port" ] || fail "no SNMP port in make run's banner"
export snmp_port

walk() { snmpbulkwalk -v2c -c public -On -Oq -t 2 -r 1 "127.0.0.1:$snmp_port" 1.3.6.1.4.1.32473.725.1.2 2>/dev/null; }
wait_for 30 bash -c "$(declare -f walk); walk | grep -q ." || fail "the MIB is not served through make run's snmpd"
# Status column (2) of alpha.test: index is the length-prefixed name.
idx=$(printf '%d' "'a").$(printf 'lpha.test' | od -An -tu1 | tr -s ' ' '.' | sed 's/^\.//;s/\.$//')
wait_for 20 bash -c "$(declare -f walk); walk | grep -q '^.1.3.6.1.4.1.32473.725.1.2.1.2.10.$idx 1$'" ||
    fail "alpha.test is not up(1) in mxwDestinationTable"

kill -INT -- -"$demo"
for _ in $(seq 1 50); do kill -0 "$demo" 2>/dev/null || break; sleep 0.1; done
kill -0 "$demo" 2>/dev/null && fail "make run did not stop on Ctrl-C"
sleep 0.3
left=$(pgrep -s "$demo" 2>/dev/null | tr '\n' ' ' || true)
[ -z "$left" ] || fail "processes left after Ctrl-C: $left"
assert_contains "$(cat "$T/demo.out")" "demo world stopped" "make run's goodbye"
