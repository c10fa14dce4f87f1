#!/usr/bin/env bash
# A private snmpd as AgentX master and a private snmptrapd, on loopback, for the demo world
# (deploy/demo/run.sh), the SNMP integration tests and the benchmark. Sourced after
# deploy/demo/lib.sh or tests/lib/common.sh (needs $T, free_port, track, wait_for, tcp_open,
# fail). Never touches the host's own snmpd: everything lives in $T and listens on free ports
# of 127.0.0.1.
#
#   start_snmptrapd        snmptrapd on udp:127.0.0.1:$SNMPTRAPD_PORT, accepting every
#                          notification (disableAuthorization) and logging it to
#                          $SNMPTRAPD_LOG as one line per notification ("TRAP" and the
#                          varbinds, numeric OIDs, tab-separated); sets SNMPTRAPD_PID.
#                          Call it before start_snmpd to have snmpd send traps there.
#   start_snmpd [LINES]    snmpd on udp:127.0.0.1:$SNMPD_PORT (community public), AgentX
#                          master on $AGENTX_SOCKET (default $T/agentx/master; set it to
#                          tcp:127.0.0.1:PORT first for TCP), log $T/snmpd.log; extra config
#                          lines may be given as one argument. Exports SNMPD_PORT and
#                          AGENTX_SOCKET, sets SNMPD_PID. A trap2sink points at snmptrapd
#                          when it runs.
#   stop_snmpd [SIGNAL]    stops that snmpd (SIGTERM, or SIGNAL such as KILL) and waits
#                          until it is gone.
#   restart_snmpd [SIGNAL] stops it and starts it again with the same port, socket and
#                          configuration (the AgentX subagent must find it again).
#   snmpd_wait_registered OID [SECS]   waits until a GETNEXT on OID returns something
#                          under OID, i.e. a subagent serves it (default 20 s).
#
# snmpd gets the listening address in its file only (giving it on the command line too
# makes it fail to bind), and -M/-m limit its MIB loading to modules that exist, so its log
# stays readable; .cache/mibs (filled by the tests' tests/lib/mibs.sh) is used when present.

_snmpd_mib_args() {
    local dir=${MXW_TOP:-.}/.cache/mibs
    if [ -f "$dir/SNMPv2-MIB" ]; then
        printf '%s\n' -M "$dir" -m SNMPv2-MIB
    else
        printf '%s\n' -M /nonexistent -m ""
    fi
}

start_snmptrapd() {
    SNMPTRAPD_PORT=$(free_port)
    SNMPTRAPD_LOG=$T/snmptrapd.log
    cat >"$T/snmptrapd.conf" <<EOC
snmpTrapdAddr udp:127.0.0.1:$SNMPTRAPD_PORT
disableAuthorization yes
doNotFork yes
EOC
    local margs
    mapfile -t margs < <(_snmpd_mib_args)
    # -On: numeric OIDs; -F: one line per notification, "TRAP" and its varbinds, tab-separated.
    snmptrapd -f -C -c "$T/snmptrapd.conf" "${margs[@]}" -On -Lf "$SNMPTRAPD_LOG" \
        -p "$T/snmptrapd.pid" -F 'TRAP %v\n' &
    SNMPTRAPD_PID=$!
    track $SNMPTRAPD_PID
    wait_for 10 bash -c "ss -Hlun '( sport = :$SNMPTRAPD_PORT )' | grep -q ." ||
        fail "snmptrapd did not start on port $SNMPTRAPD_PORT"
    export SNMPTRAPD_PORT SNMPTRAPD_LOG
}

_snmpd_run() {
    local margs
    mapfile -t margs < <(_snmpd_mib_args)
    case $AGENTX_SOCKET in tcp:*) ;; *) rm -f "$AGENTX_SOCKET" ;; esac
    # -I -mta_sendmail: Debian's snmpd serves sendmail's MTA-MIB groups itself, which would
    # shadow and mix with the subagent's (see deploy/snmp/README.md).
    snmpd -f -C -c "$T/snmpd.conf" "${margs[@]}" -I -mta_sendmail -Lf "$T/snmpd.log" \
        -p "$T/snmpd.pid" &
    SNMPD_PID=$!
    track $SNMPD_PID
    case $AGENTX_SOCKET in
    tcp:*) wait_for 10 tcp_open "$(cut -d: -f2 <<<"$AGENTX_SOCKET")" "${AGENTX_SOCKET##*:}" ;;
    *) wait_for 10 test -S "$AGENTX_SOCKET" ;;
    esac || fail "snmpd made no AgentX socket at $AGENTX_SOCKET"
    wait_for 10 bash -c "ss -Hlun '( sport = :$SNMPD_PORT )' | grep -q ." ||
        fail "snmpd does not listen on udp port $SNMPD_PORT"
}

start_snmpd() {
    SNMPD_PORT=$(free_port)
    mkdir -p "$T/agentx"
    AGENTX_SOCKET=${AGENTX_SOCKET:-$T/agentx/master}
    {
        echo "agentAddress udp:127.0.0.1:$SNMPD_PORT"
        echo "rocommunity public 127.0.0.1"
        echo "master agentx"
        echo "dontLogTCPWrappersConnects yes"
        echo "agentXSocket $AGENTX_SOCKET"
        echo "agentXPerms 0660 0755"
        echo "agentXTimeout 1"
        echo "agentXRetries 0"
        if [ -n "${SNMPTRAPD_PORT:-}" ]; then
            echo "trap2sink udp:127.0.0.1:$SNMPTRAPD_PORT public"
        fi
        [ -z "${1:-}" ] || echo "$1"
    } >"$T/snmpd.conf"
    _snmpd_run
    export SNMPD_PORT AGENTX_SOCKET
}

stop_snmpd() {
    [ -n "${SNMPD_PID:-}" ] || return 0
    kill "-${1:-TERM}" "$SNMPD_PID" 2>/dev/null || true
    wait_for 10 bash -c "! kill -0 $SNMPD_PID 2>/dev/null" || kill -9 "$SNMPD_PID" 2>/dev/null
    wait "$SNMPD_PID" 2>/dev/null || true
    SNMPD_PID=
}

restart_snmpd() {
    stop_snmpd "${1:-TERM}"
    _snmpd_run
}

snmpd_wait_registered() {
    local oid=$1 secs=${2:-20}
    wait_for "$secs" bash -c "snmpgetnext -v2c -c public -t 1 -r 0 -On 127.0.0.1:$SNMPD_PORT \
        '$oid' 2>/dev/null | grep -q '^$oid\.'"
}
