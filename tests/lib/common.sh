#!/usr/bin/env bash
# Shared helpers for integration tests (sourced, never run). The private temp dir, free
# loopback ports, the cleanup trap that stops everything a test started (and fails it on a
# sanitizer report), bounded waits and the dnsmasq and mxw-smtpd starters come from
# deploy/demo/lib.sh, which the demo world shares; this file adds the assertions, which print
# what they expected and what they saw, and the agent's starter.
# Everything here talks to 127.0.0.0/8 only.
set -euo pipefail

MXW_TOP=${MXW_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
source "$MXW_TOP/deploy/demo/lib.sh"

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

# start_silent_dns PORT: a DNS server on 127.0.0.1:PORT that never answers
# (tests/lib/silent_dns.py), waited for.
start_silent_dns() {
    local out=$T/silent-dns-$1.out
    python3 "$MXW_TOP/tests/lib/silent_dns.py" 127.0.0.1 "$1" >"$out" 2>&1 &
    track $!
    wait_for 5 grep -q ready "$out" || fail "silent_dns.py did not start on port $1"
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
    "$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$cfg" --web.listen-address="127.0.0.1:$port" \
        --log.level=debug "$@" >>"$T/agent.log" 2>&1 &
    AGENT_PID=$!
    track $AGENT_PID
    wait_for "${AGENT_START_WAIT:-10}" curl -fsS "$AGENT_URL/-/healthy" || fail "agent did not come up"
}

scrape() { curl -fsS --max-time 5 "$AGENT_URL/metrics"; }

# prometheus_config_for_agent FILE [RULE_FILE...]: writes a Prometheus configuration that
# scrapes the agent at $AGENT_URL every second as job "mxwatch" (the name the rules select
# on) and evaluates the rule files, copied beside FILE, every second.
prometheus_config_for_agent() {
    local f=$1 r
    shift
    {
        printf 'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n'
        for r in "$@"; do
            cp "$r" "$(dirname "$f")/"
            printf '  - %s\n' "$(basename "$r")"
        done
        printf 'scrape_configs:\n  - job_name: mxwatch\n    static_configs:\n'
        printf "      - targets: ['%s']\n" "${AGENT_URL#http://}"
    } >"$f"
}

# start_prometheus CONFIG [NAME]: a Prometheus server named NAME (default prometheus) on a
# free loopback port with that configuration, its storage in $T/NAME-tsdb and its log in
# $T/NAME.log; sets PROM_URL once it answers ready.
start_prometheus() {
    local name=${2:-prometheus} port
    port=$(free_port)
    prometheus --config.file="$1" --storage.tsdb.path="$T/$name-tsdb" \
        --web.listen-address="127.0.0.1:$port" >>"$T/$name.log" 2>&1 &
    track $!
    PROM_URL=http://127.0.0.1:$port
    wait_for 30 curl -fsS "$PROM_URL/-/ready" || fail "$name did not become ready"
}

# run_capture CMD...: runs CMD; its output (stdout and stderr) in OUT, its exit status in RC.
run_capture() {
    RC=0
    OUT=$("$@" 2>&1) || RC=$?
}

# start_smtpd_ok HOSTNAME PORT ADDR...: mxw-smtpd greeting every session (mode ok) on PORT of
# each address, waited for.
start_smtpd_ok() {
    local host=$1 port=$2 a listen=()
    shift 2
    for a in "$@"; do listen+=(--listen "$a:$port=ok"); done
    start_smtpd --hostname "$host" "${listen[@]}"
    wait_tcp "${!#}" "$port"
}
