#!/usr/bin/env bash
# NSD as a fast authoritative DNS server on loopback for worlds of thousands of domains
# (dnsmasq's mx-host list is a linear scan: too slow to show the agent's own stalls). Sourced
# after tests/lib/common.sh (needs $T, track, wait_for, fail).
#
#   nsd_zone_shared N ADDRS...   prints a .test zone: d1.test .. dN.test, each with MX 10
#                                mx1.dK.test and MX 20 mx2.dK.test, whose A records take the
#                                given addresses in turn: N destinations behind few addresses,
#                                as the internet's large providers are.
#   start_nsd PORT ZONEFILE [RRL]  nsd on 127.0.0.1:PORT serving the zone "test"; response
#                                rate limiting off unless RRL is "rrl"; sets NSD_PID. More
#                                zones from NSD_ZONES ("name=file ...", e.g. "arpa=$T/arpa").
#   stop_nsd / cont_nsd          SIGSTOP / SIGCONT: a resolver that answers nobody, then again.

nsd_zone_shared() {
    local n=$1
    shift
    printf '$ORIGIN test.\n$TTL 300\n@ IN SOA ns.test. admin.test. 1 3600 600 86400 300\n'
    printf '@ IN NS ns.test.\nns IN A 127.0.0.1\n'
    awk -v n="$n" -v addrs="$*" 'BEGIN {
        k = split(addrs, a, " ")
        for (i = 1; i <= n; i++) {
            printf "d%d IN MX 10 mx1.d%d.test.\nd%d IN MX 20 mx2.d%d.test.\n", i, i, i, i
            printf "mx1.d%d IN A %s\nmx2.d%d IN A %s\n", i, a[(2 * i) % k + 1], i, a[(2 * i + 1) % k + 1]
        }
    }'
}

start_nsd() {
    local port=$1 zone=$2 rrl=${3:-}
    local limit=0
    [ "$rrl" = rrl ] && limit=200
    cat >"$T/nsd.conf" <<EOC
server:
    ip-address: 127.0.0.1@$port
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$T/nsd.zonelist"
    xfrdfile: "$T/nsd.xfrd"
    pidfile: "$T/nsd.pid"
    logfile: "$T/nsd.log"
    server-count: 1
    verbosity: 0
    rrl-ratelimit: $limit
    rrl-whitelist-ratelimit: $limit
remote-control:
    control-enable: no
zone:
    name: "test"
    zonefile: "$zone"
EOC
    local z
    for z in ${NSD_ZONES:-}; do
        printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "${z%%=*}" "${z#*=}" >>"$T/nsd.conf"
    done
    rm -f "$T/nsd.pid"
    nsd -c "$T/nsd.conf" >>"$T/nsd.log" 2>&1 || fail "nsd did not start: $(tail -3 "$T/nsd.log")"
    wait_for 10 test -s "$T/nsd.pid" || fail "nsd wrote no pid file"
    NSD_PID=$(cat "$T/nsd.pid")
    track "$NSD_PID"
    wait_for 10 bash -c "ss -Hlun '( sport = :$port )' | grep -q ." || fail "nsd does not listen on $port"
}

# nsd forks its serving processes: the signal goes to every process of this instance.
stop_nsd() { pkill -STOP -f "nsd -c $T/nsd.conf"; }
cont_nsd() { pkill -CONT -f "nsd -c $T/nsd.conf"; }
