#!/usr/bin/env bash
# The shell helpers of the demo world, sourced (never run) by deploy/demo/run.sh and, through
# tests/lib/common.sh, by every integration test: a private temp dir ($T), processes tracked
# and stopped by one exit trap, free loopback ports, bounded waits, and the starters of the two
# servers every world runs (a private dnsmasq, the project's SMTP server mxw-smtpd).
# Everything here talks to 127.0.0.0/8 only. Sources nothing; sets no shell options (the
# caller does).
#
# The exit trap runs, in order: the commands given to on_exit; SIGTERM, then SIGKILL, to every
# tracked pid; a scan of $T/*.log for sanitizer reports (one fails the run: in a sanitizer
# build the world's servers must stop as cleanly as the agent); the tail of every log when the
# run failed (unless MXW_QUIET_CLEANUP is set); the removal of $T (kept when MXW_KEEP is set).

MXW_TOP=${MXW_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$MXW_TOP/$BUILD ;; esac
MXWATCH=$BUILD/mxwatch
MXW_SMTPD=$BUILD/mxw-smtpd
# What `mxwatch run` is given to keep root: it refuses root without --run-as-root
# (docs/DEPLOY.md), so every starter of the agent (make run, the tests) passes
# "${MXW_RUN_AS[@]}": the flag as root, nothing for any other user.
MXW_RUN_AS=()
[ "$(id -u)" -ne 0 ] || MXW_RUN_AS=(--run-as-root)
T=$(mktemp -d "${TMPDIR:-/tmp}/mxw-test.XXXXXX")
chmod 755 "$T"
_pids=()
_cleanups=()

cleanup() {
    local rc=$?
    local c p
    for c in "${_cleanups[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
    for p in "${_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.1
    for p in "${_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T"/*.log >/dev/null 2>&1; then
        echo "FAIL: sanitizer report in $(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T"/*.log | head -1)"
        grep -hE -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T"/*.log | head -40
        [ $rc -eq 0 ] && rc=1
    fi
    if [ $rc -ne 0 ] && [ -z "${MXW_QUIET_CLEANUP:-}" ]; then
        echo "--- test failed (exit $rc); logs in $T:"
        for f in "$T"/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 30 "$f"; }; done
    fi
    [ -n "${MXW_KEEP:-}" ] || rm -rf "$T"
    exit $rc
}
trap cleanup EXIT

on_exit() { _cleanups+=("$*"); }
track() { _pids+=("$1"); }

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
note() { echo "# $*"; }

# free_port: a TCP and UDP port nobody listens on now, from a per-run random range.
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        # Any socket on the port counts: a client socket (even in TIME-WAIT) blocks a
        # wildcard listener as surely as another listener does.
        if ! ss -Hatun "( sport = :$p )" 2>/dev/null | grep -q .; then
            echo "$p"
            return 0
        fi
    done
    fail "no free port"
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds or time runs out.
wait_for() {
    local limit=$1 deadline
    shift
    deadline=$(($(date +%s%N) + limit * 1000000000))
    while [ "$(date +%s%N)" -lt $deadline ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_tcp() { wait_for "${3:-10}" tcp_open "$1" "$2" || fail "nothing listens on $1:$2"; }

# start_dnsmasq PORT ZONE_LINES_FILE [NAME]: a private dnsmasq on 127.0.0.1:PORT serving the
# .test zone from the given config lines (mx-host=, host-record=, ...). Its files are
# $T/NAME.conf, .log and .pid (NAME: dnsmasq), so a second one can run beside the first.
start_dnsmasq() {
    local port=$1 extra=$2 name=${3:-dnsmasq}
    cat >"$T/$name.conf" <<EOC
port=$port
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/test/
log-facility=$T/$name.log
pid-file=$T/$name.pid
user=root
EOC
    cat "$extra" >>"$T/$name.conf"
    dnsmasq --keep-in-foreground --conf-file="$T/$name.conf" 2>>"$T/$name.log" &
    track $!
    wait_for 5 bash -c "ss -Hlun '( sport = :$port )' | grep -q ." ||
        fail "dnsmasq did not start on port $port"
}

# start_smtpd ARGS...: the project's SMTP test server (tests/smtpd/, build/mxw-smtpd).
start_smtpd() {
    "$MXW_SMTPD" "$@" >>"$T/smtpd.log" 2>&1 &
    track $!
}

# make_ca: a private certificate authority for a world, $T/ca.pem and $T/ca.key (ECDSA
# P-256, two days); worlds with TLS policies trust it through global.tls_ca_file.
make_ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
        -out "$T/ca.pem" -days 2 -subj "/CN=mxwatch test CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign \
        2>/dev/null || fail "openssl could not make the world's CA"
}

# make_cert NAME SANS: $T/NAME.pem (the leaf, then the CA) and $T/NAME.key, issued by
# make_ca's CA for the subjectAltName list SANS ("DNS:a.test,DNS:b.test"); $T/NAME.leaf
# holds the leaf alone.
make_cert() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
        -out "$T/$1.csr" -subj "/CN=$1" 2>/dev/null || fail "openssl: no key for $1"
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$2" >"$T/$1.ext"
    openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
        -days 2 -out "$T/$1.leaf" -extfile "$T/$1.ext" 2>/dev/null || fail "openssl: no cert for $1"
    cat "$T/$1.leaf" "$T/ca.pem" >"$T/$1.pem"
}

# start_sts_server PORT CERT_NAME DIR: the MTA-STS policy host (deploy/demo/sts_server.py)
# on 127.0.0.1:PORT with make_cert's CERT_NAME, serving DIR/mta-sts.DOMAIN by Host header.
start_sts_server() {
    python3 "$MXW_TOP/deploy/demo/sts_server.py" "$1" "$T/$2.pem" "$T/$2.key" "$3" \
        2>>"$T/sts-server.log" &
    track $!
    wait_tcp 127.0.0.1 "$1"
}
