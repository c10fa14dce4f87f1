#!/usr/bin/env bash
# timeout: 60
# probe_caps: the SMTP session limits, counted from mxw-smtpd's event log (one line per
# connect and close). Four destinations sharing one MX host never have two sessions to it
# at once (per-address serialisation), though each session lasts half a second and they
# are due at the same time; with max_smtp_in_flight 2, ten destinations on silent servers
# never have more than two connections open, and do reach two; after a reload to 4, four.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/probeworld.sh"

DNS_PORT=$(free_port)
P=$(free_port)
{
    for i in 1 2 3 4; do echo "mx-host=shared$i.test,mx.shared.test,10"; done
    echo "host-record=mx.shared.test,127.0.3.1"
    for i in $(seq 10 19); do
        echo "mx-host=silent$i.test,mx.silent$i.test,10"
        echo "host-record=mx.silent$i.test,127.0.3.$i"
    done
} >"$T/zone.conf"
start_dnsmasq "$DNS_PORT" "$T/zone.conf"
listen=(--listen "127.0.3.1:$P=delay,delay=0.5")
for i in $(seq 10 19); do listen+=(--listen "127.0.3.$i:$P=silent"); done
start_smtpd --hostname mx.caps.test --log "$T/events.log" "${listen[@]}"
wait_tcp 127.0.3.1 "$P"

config() { # config CAP DOMAINS...
    local cap=$1
    shift
    cat <<EOC
global:
  probe_interval: 1s
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  smtp_port: $P
  connect_timeout: 1s
  banner_timeout: 1s
  total_timeout: 3s
  max_smtp_in_flight: $cap
destinations:
$(for d in "$@"; do echo "  - $d"; done)
snmp:
  enabled: false
EOC
}

note "per-address serialisation: four destinations, one MX host"
config 256 shared1.test shared2.test shared3.test shared4.test >"$T/shared.yml"
start_agent "$T/shared.yml"
sleep 5 # one session a second: 5 or 6 of them, with wait_tcp's connect
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
sessions=$(grep -c 'listener=127.0.3.1:.* event=connect' "$T/events.log" || true)
note "$sessions sessions to the shared MX host"
[ "$sessions" -ge 6 ] || fail "only $sessions sessions to the shared MX host in 5 s"
assert_eq 1 "$(max_concurrent "$T/events.log" '^127\.0\.3\.1:')" "most sessions open at once to one MX host"
grep -q 'listener=127.0.3.1:.* verb=QUIT reply=221' "$T/events.log" || fail "no QUIT to the shared MX host"

note "global cap: max_smtp_in_flight 2, ten silent destinations"
: >"$T/events.log"
mapfile -t silent < <(for i in $(seq 10 19); do echo "silent$i.test"; done)
config 2 "${silent[@]}" >"$T/cap.yml"
start_agent "$T/cap.yml"
max_in_flight=0
for _ in $(seq 1 20); do
    v=$(metric_value "$(scrape)" 'mxwatch_probes_in_flight{kind="smtp"}')
    [ "${v:-0}" -gt "$max_in_flight" ] && max_in_flight=$v
    sleep 0.2
done
sessions=$(grep -c 'event=connect' "$T/events.log" || true)
note "$sessions sessions, at most $max_in_flight in flight by /metrics"
[ "$sessions" -ge 6 ] || fail "only $sessions sessions to the silent servers in 4 s"
assert_eq 2 "$(max_concurrent "$T/events.log" '^127\.0\.3\.1[0-9]:')" "most connections open at once, cap 2"
assert_eq 2 "$max_in_flight" "mxwatch_probes_in_flight{kind=smtp} at most, cap 2"

note "the cap follows a reload: 4"
config 4 "${silent[@]}" >"$T/cap.yml"
kill -HUP "$AGENT_PID"
sleep 1.5 # sessions under the old cap end within banner_timeout
: >"$T/events.log"
sleep 3
assert_eq 4 "$(max_concurrent "$T/events.log" '^127\.0\.3\.1[0-9]:')" "most connections open at once, cap 4 after a reload"
