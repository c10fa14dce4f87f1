#!/usr/bin/env bash
# The probe engine's test world (sourced after tests/lib/common.sh): one destination per
# outcome class, on 127.0.1.x. A private dnsmasq serves the zone (and forwards dead.test to
# tests/lib/silent_dns.py, a DNS server that never answers); mxw-smtpd plays every
# well-behaved and misbehaving MX host, Postfix's smtp-sink one more (a real third-party MTA).
# The timeouts are short (1 s), so every class shows within about 2 s.
#
#   domain          MX host(s)                      server                   -> reason
#   ok.test         mx.ok.test 127.0.1.1            mxw-smtpd ok + STARTTLS  ok
#   sink.test       mx.sink.test 127.0.1.2          smtp-sink                ok
#   second.test     10 127.0.1.3, 20 127.0.1.1      refuses, then ok         ok
#   implicit.test   none: A 127.0.1.1 (NODATA)      implicit MX              ok
#   huge.test       127.0.1.9                       100 KB greeting          ok
#   noquit.test     127.0.1.16                      never answers QUIT       ok
#   refused.test    127.0.1.3                       nothing listens          refused
#   unreach.test    224.0.0.1                       the kernel refuses a TCP connect to
#                                                   multicast: nothing leaves the host
#                                                                            unreachable
#   backlog.test    127.0.1.13                      accept queue full        connect_timeout
#   delay.test      127.0.1.4                       banner after 3 s         banner_timeout
#   slow.test       127.0.1.5                       one byte a second        banner_timeout
#   silent.test     127.0.1.10                      accepts, never writes    banner_timeout
#   g421.test       127.0.1.6                       421 greeting             banner_4xx
#   g554.test       127.0.1.7                       554 greeting             banner_5xx
#   noehlo.test     127.0.1.11                      never answers EHLO       ehlo_rejected
#   badtls.test     127.0.1.14                      STARTTLS, then no TLS    tls_failed
#   requiretls.test 127.0.1.2 (starttls: require)   smtp-sink, no STARTTLS   tls_failed
#   garbage.test    127.0.1.8                       binary garbage, close    protocol_error
#   reset.test      127.0.1.12                      RST at once              protocol_error
#   nx.test         (no such name)                                           dns_nxdomain
#   dead.test       (its DNS server never answers)                           dns_temporary
#   nullmx.test     "0 ."                                                    null_mx
#   noaddr.test     mx.noaddr.test, no address                               no_address
#   firstok.test    10 127.0.1.1, 20 127.0.1.3      ok, then refuses (zone only, for mx_policy)
#
# start_probeworld writes $PW_CONFIG (agent settings from PW_INTERVAL, PW_DOWN_AFTER and
# PW_EXTRA_GLOBAL) and exports PW_DNS_PORT, PW_SMTP_PORT, PW_SILENT_DNS_PORT, PW_CERT.

PW_EXPECT="ok.test:up:ok sink.test:up:ok second.test:up:ok implicit.test:up:ok
huge.test:up:ok noquit.test:up:ok refused.test:down:refused unreach.test:down:unreachable
backlog.test:down:connect_timeout delay.test:down:banner_timeout slow.test:down:banner_timeout
silent.test:down:banner_timeout g421.test:down:banner_4xx g554.test:down:banner_5xx
noehlo.test:down:ehlo_rejected badtls.test:down:tls_failed requiretls.test:down:tls_failed
garbage.test:down:protocol_error reset.test:down:protocol_error nx.test:down:dns_nxdomain
dead.test:down:dns_temporary nullmx.test:down:null_mx noaddr.test:down:no_address"
PW_DOMAINS=$(for e in $PW_EXPECT; do echo "${e%%:*}"; done)

pw_zone() {
    cat <<EOZ
local-ttl=60
server=/dead.test/127.0.0.1#$PW_SILENT_DNS_PORT
mx-host=ok.test,mx.ok.test,10
host-record=mx.ok.test,127.0.1.1
mx-host=sink.test,mx.sink.test,10
mx-host=requiretls.test,mx.sink.test,10
host-record=mx.sink.test,127.0.1.2
mx-host=second.test,mx1.second.test,10
mx-host=second.test,mx2.second.test,20
host-record=mx1.second.test,127.0.1.3
host-record=mx2.second.test,127.0.1.1
mx-host=firstok.test,mx2.second.test,10
mx-host=firstok.test,mx1.second.test,20
host-record=implicit.test,127.0.1.1
mx-host=refused.test,mx.refused.test,10
host-record=mx.refused.test,127.0.1.3
mx-host=unreach.test,mx.unreach.test,10
host-record=mx.unreach.test,224.0.0.1
mx-host=nullmx.test,.,0
mx-host=noaddr.test,mx.noaddr.test,10
EOZ
    local d
    for d in backlog:13 delay:4 slow:5 silent:10 g421:6 g554:7 noehlo:11 badtls:14 garbage:8 \
        reset:12 huge:9 noquit:16; do
        echo "mx-host=${d%:*}.test,mx.${d%:*}.test,10"
        echo "host-record=mx.${d%:*}.test,127.0.1.${d#*:}"
    done
}

pw_config() {
    cat <<EOC
# The probe engine's test world, written by tests/lib/probeworld.sh.
global:
  probe_interval: ${PW_INTERVAL:-2s}
  down_after: ${PW_DOWN_AFTER:-2}
  dns_servers: ["127.0.0.1:$PW_DNS_PORT"]
  dns_timeout: 500ms
  dns_tries: 1
  smtp_port: $PW_SMTP_PORT
  connect_timeout: 1s
  banner_timeout: 1s
  total_timeout: 4s
  ehlo_name: mxwatch.probe.test
  transcript_bytes: 2048
${PW_EXTRA_GLOBAL:-}
destinations:
$(for d in $PW_DOMAINS; do
        [ "$d" = requiretls.test ] && echo "  - {domain: $d, starttls: require}" || echo "  - $d"
    done)
snmp:
  enabled: false
EOC
}

start_probeworld() {
    PW_DNS_PORT=$(free_port)
    PW_SILENT_DNS_PORT=$(free_port)
    PW_SMTP_PORT=$(free_port)
    start_silent_dns "$PW_SILENT_DNS_PORT"
    pw_zone >"$T/pw-zone.conf"
    start_dnsmasq "$PW_DNS_PORT" "$T/pw-zone.conf"

    PW_CERT=$T/pw-cert.pem
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=mx.ok.test \
        -keyout "$T/pw-key.pem" -out "$PW_CERT" >/dev/null 2>&1 || fail "openssl req"
    local p=$PW_SMTP_PORT a=127.0.1
    start_smtpd --hostname mx.probe.test --log "$T/pw-smtpd-events.log" \
        --tls-cert "$PW_CERT" --tls-key "$T/pw-key.pem" \
        --listen $a.1:$p=ok --listen $a.4:$p=delay,delay=3 --listen $a.5:$p=slow \
        --listen $a.6:$p=421 --listen $a.7:$p=554 --listen $a.8:$p=garbage,bytes=2048 \
        --listen $a.9:$p=huge --listen $a.10:$p=silent --listen $a.11:$p=noehlo \
        --listen $a.12:$p=reset --listen $a.13:$p=backlog --listen $a.14:$p=badtls \
        --listen $a.16:$p=noquit
    smtp-sink -u nobody $a.2:$p 64 >>"$T/smtp-sink.log" 2>&1 &
    track $!
    wait_tcp $a.1 "$p"
    wait_tcp $a.2 "$p"

    PW_CONFIG=$T/probeworld.yml
    pw_config >"$PW_CONFIG"
    export PW_DNS_PORT PW_SMTP_PORT PW_SILENT_DNS_PORT PW_CERT PW_CONFIG
}

# max_concurrent EVENT_LOG [LISTENER_REGEX]: the most connections open at once, from the
# connect and close events of mxw-smtpd's --log (optionally of matching listeners only).
# A close without its connect (the log was truncated in between) is ignored.
max_concurrent() {
    awk -v want="${2:-.}" '
        /event=connect/ || /event=close/ {
            l = c = ""
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^listener=/) l = substr($i, 10)
                if ($i ~ /^conn=/) c = substr($i, 6)
            }
            if (l !~ want) next
            if ($0 ~ /event=connect/) { open[c] = 1; if (++n > max) max = n }
            else if (c in open) { delete open[c]; n-- }
        }
        END { print max + 0 }' "$1"
}

# rss_kb PID: the resident set size of a process, in KiB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
