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
#   sts.test        MTA-STS policy in enforce mode (mx: *.sts.test); MX 10 mx1.sts.test shows a
#                   certificate of the world's CA for its name, MX 20 mx2.sts.test one for
#                   another name: mx2 fails the policy, the MTA uses only mx1  -> up, 1 failing
#   dane.test       MX 10 mx.dane.test, a TLSA record its certificate does not match (the
#                   world's DNS is not signed: reported, not authenticated)  -> up, DANE mismatch
#   greylist.test   MX host greets 220 but greylists: 451 4.7.1 at RCPT until a sender and
#                   recipient pair is 10 minutes old; a transaction probe (mode rcpt, every
#                   15m) sees it                                -> down, throttled (transaction)
#
# The agent's sending address 127.0.0.2 has a PTR (mail.mxwatch.demo.test) that resolves back
# to it, and is listed on the world's DNSBL bl.demo.test with a reason. An MTA-STS policy host
# (deploy/demo/sts_server.py) serves sts.test's policy over HTTPS with a certificate of the
# world's CA, which the agent trusts (global.tls_ca_file).
#
# With WORLD_MTA=true (make run, when deploy/demo/mta.sh allows it), a private Postfix
# (deploy/demo/postfix.sh, in $T/postfix) sends mail into the world: every
# WORLD_MAIL_INTERVAL seconds (default 5) one message from demo@mxwatch.demo.test to a new
# recipient at each destination, skipped while WORLD_MAIL_MAX messages (default 300) wait in
# its queue. Mail waits for refused, silent and throttled.test, is delivered to the up ones,
# and bounces for nullmx.test and nxdomain.test; Postfix retries within seconds and expires
# mail after 3 minutes, so a minute shows every figure. The agent then reads its queue, log
# and connections, with basic auth (user admin, a random password) and delivernow on.
#
# start_world writes the agent's configuration to $WORLD_CONFIG and exports WORLD_DNS_PORT,
# WORLD_SMTP_PORT, WORLD_CONFIG and, with the MTA, WORLD_ADMIN_USER, WORLD_ADMIN_PASSWORD,
# WORLD_AUTH_FILE (an --auth.file for the CLI) and the PF_* of deploy/demo/postfix.sh.
# WORLD_INTERVAL (default 10s) sets the probe interval.

source "$(dirname "${BASH_SOURCE[0]}")/postfix.sh"

WORLD_DOMAINS="alpha.test beta.test implicit.test refused.test silent.test throttled.test nullmx.test nxdomain.test sts.test dane.test greylist.test"

world_expect() { # domain -> "status reason"
    case $1 in
    alpha.test | beta.test | implicit.test | sts.test | dane.test) echo "up ok" ;;
    refused.test) echo "down refused" ;;
    silent.test) echo "down banner_timeout" ;;
    throttled.test) echo "down banner_4xx" ;;
    nullmx.test) echo "down null_mx" ;;
    nxdomain.test) echo "down dns_nxdomain" ;;
    greylist.test) echo "down throttled" ;;
    esac
}

# world_transports SMTP_PORT: the private Postfix's transport_maps items, one a line. Postfix
# resolves through glibc, which asks port 53 of the servers in /etc/resolv.conf, and the
# demo must not touch either; so the map routes each domain to the addresses the world's DNS
# gives its MX hosts, in preference order (Postfix tries the next when one fails), on the
# world's SMTP port. For the null MX and the nonexistent domain it names the error: transport
# with the code and text Postfix's smtp client logs after such a lookup. The demo sender's
# domain takes the bounce notices and discards them.
world_transports() {
    local p=$1
    cat <<EOT
alpha.test=smtp:[127.0.0.11]:$p, [127.0.0.12]:$p
beta.test=smtp:[127.0.0.13]:$p
implicit.test=smtp:[127.0.0.17]:$p
refused.test=smtp:[127.0.0.14]:$p
silent.test=smtp:[127.0.0.15]:$p
throttled.test=smtp:[127.0.0.16]:$p
sts.test=smtp:[127.0.0.18]:$p, [127.0.0.19]:$p
dane.test=smtp:[127.0.0.18]:$p
greylist.test=smtp:[127.0.0.20]:$p
nullmx.test=error:5.1.10 Domain nullmx.test does not accept mail (nullMX)
nxdomain.test=error:5.4.4 Host or domain name not found. Name service error for name=nxdomain.test type=MX: Host not found
mxwatch.demo.test=discard:bounce notices of the demo
EOT
}

# The demo's Postfix timings: retries every 10 s to 1 min instead of 5 min to 70 min, mail
# expires after 3 minutes instead of 5 days, and a silent server holds a session for 20 s.
WORLD_MTA_SETTINGS="myhostname = mxwatch.demo.test
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 60s
maximal_queue_lifetime = 3m
bounce_queue_lifetime = 3m
smtp_connect_timeout = 5s
smtp_helo_timeout = 20s
smtp_tls_security_level = may"

# _world_mail: the trickle (a background subshell); SIGTERM ends it between two messages.
_world_mail() {
    local n=0 d sleeper=
    trap 'kill $sleeper 2>/dev/null; exit 0' TERM
    while :; do
        if [ "$(_world_queued)" -lt "${WORLD_MAIL_MAX:-300}" ]; then
            n=$((n + 1))
            for d in $WORLD_DOMAINS; do
                pf_send demo@mxwatch.demo.test "user$n@$d" 2>>"$T/world-mail.log" || true
            done
        fi
        sleep "${WORLD_MAIL_INTERVAL:-5}" &
        sleeper=$!
        wait $sleeper
    done
}
_world_queued() {
    find "$PF_QUEUE"/{maildrop,incoming,active,deferred} -type f 2>/dev/null | wc -l
}
_world_mail_stop() {
    [ -n "${WORLD_MAIL_PID:-}" ] || return 0
    kill -TERM "$WORLD_MAIL_PID" 2>/dev/null || return 0
    wait "$WORLD_MAIL_PID" 2>/dev/null || true
}

# _world_start_mta SMTP_PORT: the private Postfix, the admin's credentials and the trickle.
_world_start_mta() {
    # Cleanups run in order: the trickle stops before the instance it feeds.
    on_exit _world_mail_stop
    start_postfix "$T/postfix" "$(world_transports "$1")" "$WORLD_MTA_SETTINGS"
    WORLD_ADMIN_USER='admin'
    WORLD_ADMIN_PASSWORD=$(openssl rand -hex 8)
    WORLD_AUTH_FILE=$T/world-admin.auth
    local hash
    hash=$(mkpasswd -m bcrypt -R 8 -s <<<"$WORLD_ADMIN_PASSWORD") || fail "mkpasswd failed"
    # Secrets readable by their owner only (the agent warns about others).
    (
        umask 077
        printf 'basic_auth_users:\n  %s: %s\n' "$WORLD_ADMIN_USER" "$hash" >"$T/world-web.yml"
        printf 'username: %s\npassword: %s\n' "$WORLD_ADMIN_USER" "$WORLD_ADMIN_PASSWORD" \
            >"$WORLD_AUTH_FILE"
    )
    _world_mail &
    WORLD_MAIL_PID=$!
    track $WORLD_MAIL_PID
    export WORLD_ADMIN_USER WORLD_ADMIN_PASSWORD WORLD_AUTH_FILE
}

# _world_mta_config SMTP_PORT: the agent's sections for the MTA (appended to world.yml).
_world_mta_config() {
    cat <<EOC
web:
  config_file: $T/world-web.yml
  delivernow:
    enabled: true
    admin_users: [$WORLD_ADMIN_USER]
sources:
  postfix:
    enabled: true
    config_directory: $PF_CONF
    postqueue: $(command -v postqueue)
    queue_interval: 5s
    log_file: $PF_LOG
    state_file: $T/world-postfix-log.state
  connections: {enabled: true, ports: [$1], interval: 2s}
EOC
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

# _world_tls SMTP_PORT: the world's CA, the MX servers of sts.test and dane.test (one with a
# certificate for their names, one for another name) and the MTA-STS policy host.
_world_tls() {
    make_ca
    make_cert world-mx "DNS:mx1.sts.test,DNS:mx2.sts.test,DNS:mx.dane.test"
    make_cert world-wrong "DNS:wrong.sts.test"
    make_cert world-policy "DNS:mta-sts.sts.test"
    start_smtpd --hostname mx1.sts.test --tls-cert "$T/world-mx.pem" --tls-key "$T/world-mx.key" \
        --listen "127.0.0.18:$1=ok"
    start_smtpd --hostname mx2.sts.test --tls-cert "$T/world-wrong.pem" \
        --tls-key "$T/world-wrong.key" --listen "127.0.0.19:$1=ok"
    mkdir -p "$T/sts"
    printf 'version: STSv1\nmode: enforce\nmx: *.sts.test\nmax_age: 86400\n' \
        >"$T/sts/mta-sts.sts.test"
    WORLD_STS_PORT=$(free_port)
    start_sts_server "$WORLD_STS_PORT" world-policy "$T/sts"
    wait_tcp 127.0.0.18 "$1"
    wait_tcp 127.0.0.19 "$1"
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
mx-host=sts.test,mx1.sts.test,10
mx-host=sts.test,mx2.sts.test,20
host-record=mx1.sts.test,127.0.0.18
host-record=mx2.sts.test,127.0.0.19
host-record=mta-sts.sts.test,127.0.0.1
txt-record=_mta-sts.sts.test,"v=STSv1; id=demo20261207;"
txt-record=_smtp._tls.sts.test,"v=TLSRPTv1; rua=mailto:tls-reports@sts.test"
mx-host=dane.test,mx.dane.test,10
host-record=mx.dane.test,127.0.0.18
mx-host=greylist.test,mx.greylist.test,10
host-record=mx.greylist.test,127.0.0.20
dns-rr=_25._tcp.mx.dane.test,52,030101$(printf '%064d' 0)
host-record=mail.mxwatch.demo.test,127.0.0.2
ptr-record=2.0.0.127.in-addr.arpa,mail.mxwatch.demo.test
host-record=2.0.0.127.bl.demo.test,127.0.0.2
txt-record=2.0.0.127.bl.demo.test,"Listed on the demo DNSBL: the demo lists its own sender"
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
        --listen "127.0.0.16:$p=421" --listen "127.0.0.20:$p=greylist,wait=600"
    wait_tcp 127.0.0.11 "$p"
    _world_tls "$p"
    [ "${WORLD_MTA:-false}" != true ] || _world_start_mta "$p"

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
  tls_ca_file: $T/ca.pem
  mta_sts_port: $WORLD_STS_PORT
  sending_addresses: [127.0.0.2]
  dnsbl_zones: [bl.demo.test]
destinations:
$(for d in $WORLD_DOMAINS; do [ "$d" = greylist.test ] || echo "  - $d"; done)
  - domain: greylist.test
    transaction: {mode: rcpt, from: probe@mxwatch.demo.test, to: postmaster@greylist.test, every: 15m}
snmp:
  enabled: ${WORLD_SNMP:-false}
  agentx_socket: "${WORLD_AGENTX_SOCKET:-$T/agentx.sock}"
EOC
    [ "${WORLD_MTA:-false}" != true ] || _world_mta_config "$p" >>"$WORLD_CONFIG"
    export WORLD_DNS_PORT WORLD_SMTP_PORT WORLD_CONFIG
}
