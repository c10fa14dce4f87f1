#!/usr/bin/env bash
# SNMP throughput: bulk walks (snmpbulkwalk -Cr50) of mxwDestinationTable with 10,000
# destinations, served by the subagent through a private snmpd, against walks of one of
# snmpd's own tables (hrSWInstalledTable) in the same run, interleaved RUNS times. Prints
# the best rate of each (varbinds per second, each measured over at least 2 s of walking),
# their ratio (target: at least 0.5) and the CPU time snmpd and mxwatch spent per varbind,
# which shows where a relayed varbind's time goes. Measures, never fails on the figures.
# The destinations are all down (NXDOMAIN) and quiet while the walks run.
# Usage: tests/bench/snmp_bench.sh [DESTINATIONS] [RUNS]   (from the top of the tree,
# after `make` and `make deps`)
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/snmpd.sh"

N=${1:-10000}
RUNS=${2:-3}
MXW_DEST_TABLE=.1.3.6.1.4.1.32473.725.1.2
HR_SW_INSTALLED=.1.3.6.1.2.1.25.6.3
MIN_NS=2000000000 # each measurement walks for at least this long

start_snmpd
# A DNS server that knows no .test name: every destination is NXDOMAIN at once, goes down
# after its confirmation probe, and then stays quiet for the hour-long interval, so the walk
# measures serving, not probing or the burst of notifications that goes with the first round.
dport=$(free_port)
: >"$T/empty-zone.conf"
start_dnsmasq "$dport" "$T/empty-zone.conf"
{
    echo "global:"
    echo "  probe_interval: 1h"
    echo "  dns_servers: [\"127.0.0.1:$dport\"]"
    echo "snmp:"
    echo "  agentx_socket: \"$AGENTX_SOCKET\""
    echo "  ping_interval: 1s"
    echo "destinations:"
    for i in $(seq -f %05g 1 "$N"); do echo "  - mail-$i.bench-destination.test"; done
} >"$T/mxwatch.yml"
start_agent "$T/mxwatch.yml" --log.level=info
snmpd_wait_registered "$MXW_DEST_TABLE" 20 || fail "the subagent did not register"

settled() { [ "$(scrape | grep -c '^mxwatch_destination_status{.*status="down"} 1')" -ge "$N" ]; }
wait_for 120 settled || note "not every destination is down yet; measuring anyway"
sleep 3 # the notifications of the last changes drain through snmpd

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # user + system, all threads

# measure OID: "varbinds nanoseconds snmpd_ticks agent_ticks" of walks of OID repeated
# until MIN_NS have passed.
measure() {
    local n=0 s e s0 a0
    s0=$(cpu_ticks "$SNMPD_PID")
    a0=$(cpu_ticks "$AGENT_PID")
    s=$(date +%s%N)
    e=$s
    while [ $((e - s)) -lt $MIN_NS ]; do
        n=$((n + $(snmpbulkwalk -v2c -c public -t 5 -r 0 -On -Cr50 "127.0.0.1:$SNMPD_PORT" "$1" | wc -l)))
        e=$(date +%s%N)
    done
    echo "$n $((e - s)) $(($(cpu_ticks "$SNMPD_PID") - s0)) $(($(cpu_ticks "$AGENT_PID") - a0))"
}

# best OLD NEW: the line with the higher rate.
best() {
    [ -z "$1" ] && { echo "$2"; return; }
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x); split(b, y);
        print (y[1] / y[2] > x[1] / x[2]) ? b : a }'
}

hz=$(getconf CLK_TCK)
walk_once=$(snmpbulkwalk -v2c -c public -On -Cr50 "127.0.0.1:$SNMPD_PORT" $MXW_DEST_TABLE | wc -l)
[ "$walk_once" -eq $((N * 25)) ] || note "mxwDestinationTable has $walk_once varbinds, not $((N * 25))"
snmpbulkwalk -v2c -c public -On -Cr50 "127.0.0.1:$SNMPD_PORT" $HR_SW_INSTALLED >/dev/null
hr='' mx=''
for r in $(seq 1 "$RUNS"); do
    h=$(measure $HR_SW_INSTALLED)
    m=$(measure $MXW_DEST_TABLE)
    note "run $r: hrSWInstalledTable $h; mxwDestinationTable $m (varbinds ns snmpd-ticks mxwatch-ticks)"
    hr=$(best "$hr" "$h")
    mx=$(best "$mx" "$m")
done

report() { # NAME "varbinds ns snmpd_ticks agent_ticks"
    awk -v name="$1" -v hz="$hz" -v l="$2" 'BEGIN { split(l, v);
        printf "%-28s %8d varbinds in %6.2f s = %6.0f varbinds/s; CPU per varbind: snmpd %5.1f us, mxwatch %5.1f us\n",
            name, v[1], v[2] / 1e9, v[1] / (v[2] / 1e9), v[3] / hz / v[1] * 1e6, v[4] / hz / v[1] * 1e6 }'
}
report "snmpd hrSWInstalledTable" "$hr"
report "mxwatch mxwDestinationTable" "$mx"
awk -v a="$mx" -v b="$hr" 'BEGIN { split(a, x); split(b, y);
    printf "ratio mxwatch/snmpd: %.2f (target >= 0.50)\n", (x[1] / x[2]) / (y[1] / y[2]) }'
