#!/usr/bin/env bash
# The soak's world (sourced by tests/soak/soak.sh after tests/lib/common.sh and
# deploy/demo/world.sh, never run): the demo world of `make run` unchanged, plus the hostile
# servers the tests already have, so the agent meets bad input for the whole run.
#
#   DNS   agent -> tests/lib/lossy_dns.py (drops SOAK_DNS_LOSS of the answers, default 3 %)
#         -> a second dnsmasq ("soak-dns") that serves the hostile zone below and forwards
#         each demo domain to the demo world's own dnsmasq, and dead.test to
#         tests/lib/silent_dns.py (never answers).
#   SMTP  the demo world's mxw-smtpd (127.0.0.11-17) plus one more on 127.0.2.x, same port,
#         with every hostile mode (tests/lib/probeworld.sh has the same set):
#           delay.test 127.0.2.1 banner after 5 s       slow.test 127.0.2.2 a byte a second
#           g554.test 127.0.2.3 554 greeting            garbage.test 127.0.2.4 random bytes
#           huge.test 127.0.2.5 100 KB greeting         noehlo.test 127.0.2.6 EHLO unanswered
#           reset.test 127.0.2.7 RST at once            noquit.test 127.0.2.8 QUIT unanswered
#           badtls.test 127.0.2.9 STARTTLS, no TLS      backlog.test 127.0.2.10 accept queue full
#         plus unreach.test (MX at 224.0.0.1), noaddr.test (MX host without an address),
#         dead.test (silent DNS).
#   Churn soak_config N writes the agent's configuration for reload N: two destinations
#         that come and go, pool(N mod 8).test (MX on the ok server) and cN.churn.test (a
#         new name every time, NXDOMAIN), so every reload adds and drops destinations.
#
# start_hostile: starts all that after start_world; sets SOAK_CONFIG (written by
# soak_config) and exports nothing else. Loopback only.

HOSTILE_MODES="delay:1:delay,delay=5 slow:2:slow g554:3:554 garbage:4:garbage,bytes=4096
huge:5:huge noehlo:6:noehlo reset:7:reset noquit:8:noquit badtls:9:badtls backlog:10:backlog"
HOSTILE_DOMAINS="$(for m in $HOSTILE_MODES; do echo "${m%%:*}.test"; done) unreach.test
noaddr.test dead.test"

_hostile_zone() {
    local d m
    echo "local-ttl=60"
    echo "server=/dead.test/127.0.0.1#$SOAK_SILENT_DNS_PORT"
    for d in $WORLD_DOMAINS; do echo "server=/$d/127.0.0.1#$WORLD_DNS_PORT"; done
    for m in $HOSTILE_MODES; do
        IFS=: read -r d n _ <<<"$m"
        echo "mx-host=$d.test,mx.$d.test,10"
        echo "host-record=mx.$d.test,127.0.2.$n"
    done
    echo "mx-host=unreach.test,mx.unreach.test,10"
    echo "host-record=mx.unreach.test,224.0.0.1"
    echo "mx-host=noaddr.test,mx.noaddr.test,10"
    for n in 0 1 2 3 4 5 6 7; do echo "mx-host=pool$n.test,mx1.alpha.test,10"; done
}

start_hostile() {
    SOAK_SILENT_DNS_PORT=$(free_port)
    start_silent_dns "$SOAK_SILENT_DNS_PORT"
    local zport lport listen=() m d n mode
    zport=$(free_port)
    _hostile_zone >"$T/soak-zone.conf"
    start_dnsmasq "$zport" "$T/soak-zone.conf" soak-dns
    lport=$(free_port)
    python3 "$MXW_TOP/tests/lib/lossy_dns.py" "$lport" "$zport" "${SOAK_DNS_LOSS:-0.03}" \
        "$T/lossy.stats" >>"$T/lossy.log" 2>&1 &
    track $!
    wait_for 5 test -s "$T/lossy.stats" || fail "the lossy DNS relay did not start"
    SOAK_DNS=127.0.0.1:$lport

    for m in $HOSTILE_MODES; do
        IFS=: read -r d n mode <<<"$m"
        listen+=(--listen "127.0.2.$n:$WORLD_SMTP_PORT=$mode")
    done
    "$MXW_SMTPD" --hostname mx.hostile.test "${listen[@]}" >>"$T/hostile-smtpd.log" 2>&1 &
    track $!
    wait_tcp 127.0.2.1 "$WORLD_SMTP_PORT"
    SOAK_CONFIG=$T/soak.yml
    soak_config 0
}

# soak_config N: the world's configuration with the soak's resolver, the hostile
# destinations and reload N's churn, written to $SOAK_CONFIG (through a rename, so a reload
# never reads half a file).
soak_config() {
    local extra d
    extra=$(for d in $HOSTILE_DOMAINS pool$(($1 % 8)).test c$1.churn.test; do
        echo "  - $d"
    done)
    awk -v dns="$SOAK_DNS" -v extra="$extra" '
        /^  dns_servers:/ { print "  dns_servers: [\"" dns "\"]"; next }
        { print }
        /^destinations:/ { print extra }' "$WORLD_CONFIG" >"$SOAK_CONFIG.tmp" &&
        mv "$SOAK_CONFIG.tmp" "$SOAK_CONFIG"
}
