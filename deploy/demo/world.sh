#!/usr/bin/env bash
# The demo world: a self-contained loopback mail world for `make run` (deploy/demo/run.sh) and
# the tests (sourced after deploy/demo/lib.sh, or tests/lib/common.sh which sources it). A
# private dnsmasq publishes MX records for a handful of .test domains; the project's own SMTP
# server (build/mxw-smtpd) plays their MX hosts.
#
#   alpha.test      MX 10 mx1.alpha.test (STARTTLS), MX 20 mx2.alpha.test   -> up
#   beta.test       MX 10 mx.beta.test                                      -> up
#   implicit.test   no MX, an A record: the implicit MX                     -> up
#   refused.test    MX host refuses connections                            -> down, refused
#   silent.test     MX host accepts and never sends a banner               -> down, banner_timeout
#   throttled.test  MX host greets with 421                                -> down, banner_4xx
#   nullmx.test     null MX "0 ." (accepts no mail)                        -> down, null_mx
#   nxdomain.test   does not exist                                         -> down, dns_nxdomain
#
# start_world writes the agent's configuration to $WORLD_CONFIG and exports WORLD_DNS_PORT.
# WORLD_INTERVAL (default 10s) sets the probe interval.

WORLD_DOMAINS="alpha.test beta.test implicit.test refused.test silent.test throttled.test nullmx.test nxdomain.test"

world_expect() { # domain -> "status reason"
    case $1 in
    alpha.test | beta.test | implicit.test) echo "up ok" ;;
    refused.test) echo "down refused" ;;
    silent.test) echo "down banner_timeout" ;;
    throttled.test) echo "down banner_4xx" ;;
    nullmx.test) echo "down null_mx" ;;
    nxdomain.test) echo "down dns_nxdomain" ;;
    esac
}

# world_settled METRICS_TEXT: true when that /metrics text gives every destination the
# status the world implies.
world_settled() {
    local d exp
    for d in $WORLD_DOMAINS; do
        exp=$(world_expect "$d")
        grep -qxF "mxwatch_destination_status{destination=\"$d\",status=\"${exp% *}\"} 1" <<<"$1" ||
            return 1
    done
}

start_world() {
    WORLD_DNS_PORT=$(free_port)
    cat >"$T/world-zone.conf" <<EOZ
local-ttl=300
mx-host=alpha.test,mx1.alpha.test,10
mx-host=alpha.test,mx2.alpha.test,20
host-record=mx1.alpha.test,127.0.0.11
host-record=mx2.alpha.test,127.0.0.12
mx-host=beta.test,mx.beta.test,10
host-record=mx.beta.test,127.0.0.13
host-record=implicit.test,127.0.0.17
mx-host=refused.test,mx.refused.test,10
host-record=mx.refused.test,127.0.0.14
mx-host=silent.test,mx.silent.test,10
host-record=mx.silent.test,127.0.0.15
mx-host=throttled.test,mx.throttled.test,10
host-record=mx.throttled.test,127.0.0.16
mx-host=nullmx.test,.,0
EOZ
    start_dnsmasq "$WORLD_DNS_PORT" "$T/world-zone.conf"

    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=mx1.alpha.test \
        -keyout "$T/world-key.pem" -out "$T/world-cert.pem" >/dev/null 2>&1 ||
        fail "openssl could not make the demo certificate"
    # A free port, not a fixed one: two worlds on one machine (parallel test runs) must not
    # answer each other's probes.
    WORLD_SMTP_PORT=$(free_port)
    local p=$WORLD_SMTP_PORT
    start_smtpd --hostname mx.test --log "$T/world-smtpd-events.log" \
        --tls-cert "$T/world-cert.pem" --tls-key "$T/world-key.pem" \
        --listen "127.0.0.11:$p=ok" --listen "127.0.0.12:$p=ok" --listen "127.0.0.13:$p=ok" \
        --listen "127.0.0.17:$p=ok" --listen "127.0.0.15:$p=silent" \
        --listen "127.0.0.16:$p=421"
    wait_tcp 127.0.0.11 "$p"

    WORLD_CONFIG=$T/world.yml
    cat >"$WORLD_CONFIG" <<EOC
# The demo world's configuration, written by deploy/demo/world.sh.
global:
  probe_interval: ${WORLD_INTERVAL:-10s}
  dns_servers: ["127.0.0.1:$WORLD_DNS_PORT"]
  smtp_port: $p
  connect_timeout: 2s
  banner_timeout: 3s
  total_timeout: 8s
  ehlo_name: mxwatch.demo.test
destinations:
$(for d in $WORLD_DOMAINS; do echo "  - $d"; done)
snmp:
  enabled: ${WORLD_SNMP:-false}
  agentx_socket: "${WORLD_AGENTX_SOCKET:-$T/agentx.sock}"
EOC
    export WORLD_DNS_PORT WORLD_SMTP_PORT WORLD_CONFIG
}
