#!/usr/bin/env bash
# Shared helpers for integration tests (sourced, never run). Gives each test a private
# temp dir, free loopback ports, a cleanup trap that stops everything the test started,
# bounded waits and assertions that print what they expected and what they saw.
# Everything here talks to 127.0.0.0/8 only.
set -euo pipefail

MXW_TOP=${MXW_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$MXW_TOP/$BUILD ;; esac
MXWATCH=$BUILD/mxwatch
MXW_SMTPD=$BUILD/mxw-smtpd
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
    # A sanitizer report from anything the test ran fails the test, whatever it asserted.
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

# free_port: a TCP and UDP port nobody listens on now, from a per-test random range.
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

assert_eq() { # expected actual what
    [ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}
assert_contains() { # haystack needle what
    grep -qF -- "$2" <<<"$1" || fail "${3:-output} does not contain '$2'"
}
assert_not_contains() {
    ! grep -qF -- "$2" <<<"$1" || fail "${3:-output} contains '$2'"
}

# metric_value METRICS_TEXT 'name{labels}': the sample's value, or empty.
metric_value() {
    awk -v k="$2" '$1 == k { print $2; exit }' <<<"$1"
}

# start_dnsmasq PORT ZONE_LINES_FILE: a private dnsmasq on 127.0.0.1:PORT serving the
# .test zone from the given config lines (mx-host=, host-record=, ...).
start_dnsmasq() {
    local port=$1 extra=$2
    cat >"$T/dnsmasq.conf" <<EOC
port=$port
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/test/
log-facility=$T/dnsmasq.log
pid-file=$T/dnsmasq.pid
user=root
EOC
    cat "$extra" >>"$T/dnsmasq.conf"
    dnsmasq --keep-in-foreground --conf-file="$T/dnsmasq.conf" 2>>"$T/dnsmasq.log" &
    track $!
    wait_for 5 bash -c "ss -Hlun '( sport = :$port )' | grep -q ." ||
        fail "dnsmasq did not start on port $port"
}

# start_smtpd ARGS...: the project's SMTP test server (see tests/smtpd/).
start_smtpd() {
    "$MXW_SMTPD" "$@" >>"$T/smtpd.log" 2>&1 &
    track $!
}

# start_agent CONFIG [FLAGS...]: mxwatch run in the background; sets AGENT_PID and
# AGENT_URL; waits until /-/healthy answers (AGENT_START_WAIT seconds, default 10).
start_agent() {
    local cfg=$1
    shift
    local port
    # Tests talk to 127.0.0.0/8 only: an agent with destinations must be given a DNS server,
    # never fall back to resolv.conf's.
    if grep -q '^destinations' "$cfg" && ! grep -q 'dns_servers' "$cfg" &&
        [[ " $* " != *" --dns.server"* ]]; then
        fail "$cfg has destinations but no DNS server: the agent would leave loopback"
    fi
    port=$(free_port)
    AGENT_URL=http://127.0.0.1:$port
    "$MXWATCH" run --config.file="$cfg" --web.listen-address="127.0.0.1:$port" \
        --log.level=debug "$@" >>"$T/agent.log" 2>&1 &
    AGENT_PID=$!
    track $AGENT_PID
    wait_for "${AGENT_START_WAIT:-10}" curl -fsS "$AGENT_URL/-/healthy" || fail "agent did not come up"
}

scrape() { curl -fsS --max-time 5 "$AGENT_URL/metrics"; }
