#!/usr/bin/env bash
# timeout: 90
# An agent starved of file descriptors (its RLIMIT_NOFILE lowered below what it has open,
# with prlimit, as a low `ulimit -n` does) cannot open an SMTP socket: the destinations turn
# unknown with reason "local", none turns down, and mxwatch_local_failures_total
# {cause="resources"} counts it. With the limit raised again they are up again.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/nsd.sh"

N=12
addrs=()
for i in $(seq 1 $N); do addrs+=("127.0.10.$i"); done
DNS_PORT=$(free_port)
# One address per destination (no shared sessions): each probe needs a socket of its own.
{
    printf '$ORIGIN test.\n$TTL 300\n@ IN SOA ns.test. admin.test. 1 3600 600 86400 300\n@ IN NS ns.test.\nns IN A 127.0.0.1\n'
    for i in $(seq 1 $N); do printf 'd%d IN MX 10 mx.d%d.test.\nmx.d%d IN A 127.0.10.%d\n' "$i" "$i" "$i" "$i"; done
} >"$T/test.zone"
start_nsd "$DNS_PORT" "$T/test.zone"
P=$(free_port)
start_smtpd_ok mx.fds.test "$P" "${addrs[@]}"
{
    cat <<EOC
global:
  probe_interval: 1s
  smtp_address_per_minute: 600
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  down_after: 1
  smtp_port: $P
snmp: {enabled: false}
destinations:
EOC
    for i in $(seq 1 $N); do echo "  - d$i.test"; done
} >"$T/agent.yml"
start_agent "$T/agent.yml"

count() { grep -c "^mxwatch_destination_status{destination=\"d[0-9]*\.test\",status=\"$1\"} 1$" <<<"$(scrape)" || true; }
all_up() { [ "$(count up)" = "$N" ]; }
wait_for 20 all_up || fail "not all $N destinations up before the starvation: $(count up)"

# No descriptor to spare: with the soft limit at 3 no new descriptor gets a number, so every
# new socket fails with EMFILE while those already open (the resolver's, the listener) stay.
# The HTTP server cannot accept either, so the agent's log tells what happens meanwhile.
soft=$(prlimit --pid "$AGENT_PID" --nofile --noheadings --output SOFT)
hard=$(prlimit --pid "$AGENT_PID" --nofile --noheadings --output HARD)
mark=$(wc -l <"$T/agent.log")
prlimit --pid "$AGENT_PID" --nofile="3:$hard" || fail "prlimit failed"
note "descriptor limit lowered to 3"
sleep 5
prlimit --pid "$AGENT_PID" --nofile="$soft:$hard" || fail "prlimit failed"
starved=$(tail -n +"$((mark + 1))" "$T/agent.log")
locals=$(grep -c 'msg="probe done" destination=d[0-9]*\.test reason=local status=unknown' <<<"$starved" || true)
downs=$(grep -c 'msg="destination status changed" destination=d[0-9]*\.test from=[a-z]* to=down' <<<"$starved" || true)
note "while starved: $locals probes ended local (unknown), $downs status changes to down"
[ "$locals" -ge "$N" ] || fail "only $locals probes ended with reason local while the agent had no descriptor"
assert_eq 0 "$downs" "destinations turned down while the agent had no descriptor"

wait_for 20 all_up || fail "destinations not up again with descriptors back: $(count up)"
M=$(scrape)
res=$(metric_value "$M" 'mxwatch_local_failures_total{cause="resources"}')
note "local failures: $(grep mxwatch_local_failures_total <<<"$M" | grep -v "^#" | tr "\n" " ")"
[ "${res:-0}" -ge "$N" ] || fail "mxwatch_local_failures_total{cause=\"resources\"} is ${res:-0}"
note "ok"
