#!/usr/bin/env bash
# timeout: 60
# probe_cli: `mxwatch probe` prints the MX records and banners and exits 0 when every domain
# is up, 1 when one is down, 2 on usage or local error (a source_address that cannot be
# bound gives local_error, libcurl's CURLE_INTERFACE_FAILED); mx_policy first stops at the
# first address that answers while all probes every address, set globally or per
# destination (a configured destination is probed with its own settings); a hostile banner
# (C0 and C1 controls, invalid UTF-8) reaches the terminal only as \xNN.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/probeworld.sh"
start_probeworld

probe() { # probe CONFIG ARGS...: runs mxwatch probe; sets OUT and RC
    local cfg=$1
    shift
    RC=0
    OUT=$("$MXWATCH" probe --config.file="$cfg" "$@" 2>"$T/probe.err") || RC=$?
}
json_field() { # json_field JSON DOMAIN ADDRESS FIELD: one address's field ("-" if absent)
    python3 -c '
import json, sys
for d in json.loads(sys.argv[1]):
    if d["domain"] != sys.argv[2]: continue
    for h in d["mx"]:
        for a in h["addresses"]:
            if a["address"] == sys.argv[3]: print(a[sys.argv[4]]); sys.exit()
print("-")' "$1" "$2" "$3" "$4"
}

note "all up: exit 0, MX records with preference and TTL, banners"
probe "$PW_CONFIG" ok.test second.test implicit.test sink.test
assert_eq 0 "$RC" "exit status, all up"
assert_contains "$OUT" "$(printf 'ok.test.\t60\tIN\tMX\t10 mx.ok.test.')" "MX line of ok.test"
assert_contains "$OUT" "$(printf 'second.test.\t60\tIN\tMX\t20 mx2.second.test.')" "second MX line"
assert_contains "$OUT" "mx.ok.test [127.0.1.1]:$PW_SMTP_PORT  ok" "address line"
assert_contains "$OUT" "banner: 220 mx.probe.test ESMTP mxw-smtpd" "mxw-smtpd banner"
assert_contains "$OUT" "mx1.second.test [127.0.1.3]:$PW_SMTP_PORT  refused" "refused first MX"
assert_contains "$OUT" "implicit MX, the domain itself" "implicit MX"
assert_contains "$OUT" "STARTTLS offered: yes, negotiated TLSv1.3, certificate not verified" "TLS facts"
assert_contains "$OUT" "mx.sink.test [127.0.1.2]:$PW_SMTP_PORT  ok" "smtp-sink answers"
[ "$(grep -c 'verdict: up (ok)' <<<"$OUT")" = 4 ] || fail "not four verdicts up: $OUT"

note "one down: exit 1"
probe "$PW_CONFIG" ok.test g421.test
assert_eq 1 "$RC" "exit status, one down"
assert_contains "$OUT" "banner: 421 " "421 banner"
assert_contains "$OUT" "verdict: down (banner_4xx)" "421 verdict"
probe "$PW_CONFIG" nx.test
assert_eq 1 "$RC" "exit status, NXDOMAIN"
assert_contains "$OUT" "verdict: down (dns_nxdomain)" "NXDOMAIN verdict"

note "a DNS server that never answers: this side's trouble (local, exit 2) within the DNS timeout"
start=$(date +%s%N)
probe "$PW_CONFIG" --dns.server "127.0.0.1:$PW_SILENT_DNS_PORT" ok.test
took_ms=$((($(date +%s%N) - start) / 1000000))
assert_eq 2 "$RC" "exit status when DNS never answers"
assert_contains "$OUT" "verdict: unknown (local): the resolver answered no query meanwhile" "verdict"
[ "$took_ms" -lt 2000 ] || fail "took ${took_ms} ms with dns_timeout 500ms and one try"

note "usage errors: exit 2"
probe "$PW_CONFIG"
assert_eq 2 "$RC" "exit status without a domain"
assert_contains "$(cat "$T/probe.err")" "usage: mxwatch probe" "usage text"
probe "$PW_CONFIG" "bad domain"
assert_eq 2 "$RC" "exit status for a bad domain"
probe "$PW_CONFIG" a.test..
assert_eq 2 "$RC" "exit status for 'a.test..'"
probe "$PW_CONFIG" --bogus ok.test
assert_eq 2 "$RC" "exit status for an unknown flag"
probe /nonexistent/mxwatch.yml ok.test
assert_eq 2 "$RC" "exit status for a missing config"
printf 'global:\n  probe_interval: soon\n' >"$T/bad.yml"
probe "$T/bad.yml" ok.test
assert_eq 2 "$RC" "exit status for a bad config"
assert_contains "$(cat "$T/probe.err")" "bad.yml:2:19: global.probe_interval: bad duration" "config error"

note "a source address that cannot be bound: local_error, exit 2"
sed 's/^  ehlo_name:.*/&\n  source_address: 192.0.2.1/' "$PW_CONFIG" >"$T/source.yml"
ip -o addr | grep -q ' 192\.0\.2\.1/' && fail "192.0.2.1 is local here; the test needs it not to be"
probe "$T/source.yml" --json ok.test
assert_eq 2 "$RC" "exit status for a local error"
assert_eq local_error "$(json_field "$OUT" ok.test 127.0.1.1 outcome)" "outcome"
assert_contains "$OUT" '"status":"unknown"' "status of a local error"
assert_contains "$OUT" "libcurl: Failed binding local connection end (errno 99)" "libcurl's words"

note "mx_policy all (default) probes every address; first stops at the first that answers"
probe "$PW_CONFIG" --json firstok.test
assert_eq 0 "$RC" "firstok.test, policy all"
assert_eq ok "$(json_field "$OUT" firstok.test 127.0.1.1 outcome)" "all: first MX"
assert_eq refused "$(json_field "$OUT" firstok.test 127.0.1.3 outcome)" "all: second MX probed"
sed 's/^destinations:$/&\n  - {domain: firstok.test, mx_policy: first}/' "$PW_CONFIG" >"$T/first.yml"
probe "$T/first.yml" --json firstok.test
assert_eq 0 "$RC" "firstok.test, policy first"
assert_eq ok "$(json_field "$OUT" firstok.test 127.0.1.1 outcome)" "first: first MX"
assert_eq not_probed "$(json_field "$OUT" firstok.test 127.0.1.3 outcome)" "first: second MX left alone"
sed 's/^global:$/&\n  mx_policy: first/' "$PW_CONFIG" >"$T/first-global.yml"
probe "$T/first-global.yml" --json second.test
assert_eq 0 "$RC" "second.test, policy first: the first refuses, the second accepts"
assert_eq refused "$(json_field "$OUT" second.test 127.0.1.3 outcome)" "first: refused first MX"
assert_eq ok "$(json_field "$OUT" second.test 127.0.1.1 outcome)" "first: then the second MX"

note "tls_verified: the chain and the MX name against the system's store, or SSL_CERT_FILE"
probe "$PW_CONFIG" --json ok.test
assert_eq True "$(json_field "$OUT" ok.test 127.0.1.1 tls_negotiated)" "TLS negotiated with mx.ok.test"
assert_eq False "$(json_field "$OUT" ok.test 127.0.1.1 tls_verified)" "a self-signed certificate nobody trusts"
OUT=$(SSL_CERT_FILE="$PW_CERT" "$MXWATCH" probe --config.file="$PW_CONFIG" --json ok.test 2>"$T/probe.err") || true
assert_eq True "$(json_field "$OUT" ok.test 127.0.1.1 tls_verified)" "the same certificate, trusted through SSL_CERT_FILE"

note "a hostile banner reaches the terminal escaped: C0, C1 (CSI as c2 9b), the raw byte 9b"
EVIL_DNS_PORT=$(free_port)
printf 'host-record=evil.test,127.0.1.20\n' >"$T/evil-zone.conf"
start_dnsmasq "$EVIL_DNS_PORT" "$T/evil-zone.conf" evil-dnsmasq
# mxw-smtpd sends printable banners only: this server sends the hostile one.
python3 - "$PW_SMTP_PORT" >"$T/evil-smtp.log" 2>&1 <<'EOP' &
import socket, sys, threading
banner = b"evil\x1b[2J\xc2\x9b31m\x9b0m end"
def serve(c):
    f = c.makefile("rb")
    c.sendall(b"220 " + banner + b"\r\n")
    for line in f:
        verb = line[:4].upper()
        c.sendall(b"250-" + banner + b"\r\n250 8BITMIME\r\n" if verb in (b"EHLO", b"HELO")
                  else b"221 bye\r\n" if verb == b"QUIT" else b"502 no\r\n")
        if verb == b"QUIT":
            break
    c.close()
s = socket.create_server(("127.0.1.20", int(sys.argv[1])))
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
EOP
track $!
wait_tcp 127.0.1.20 "$PW_SMTP_PORT"
probe "$PW_CONFIG" --dns.server "127.0.0.1:$EVIL_DNS_PORT" evil.test
assert_eq 0 "$RC" "exit status, evil.test"
# (the probe keeps C0 controls of a reply as '.'; C1 controls and invalid bytes it keeps)
assert_contains "$OUT" 'banner: 220 evil.[2J\xc2\x9b31m\x9b0m end' "the banner, escaped"
assert_contains "$OUT" 'EHLO: evil.[2J\xc2\x9b31m\x9b0m end 8BITMIME' "EHLO lines, escaped"
! LC_ALL=C grep -q $'[\x1b\x9b\xc2]' <<<"$OUT" || fail "raw control bytes reach the terminal: $OUT"

note "options after the operands, as people type them"
RC=0
OUT=$("$MXWATCH" probe ok.test --config.file="$PW_CONFIG" --json 2>"$T/probe.err") || RC=$?
assert_eq 0 "$RC" "mxwatch probe ok.test --config.file=... --json"
assert_eq ok "$(json_field "$OUT" ok.test 127.0.1.1 outcome)" "ok.test probed with the options last"
