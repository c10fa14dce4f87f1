#!/usr/bin/env bash
# `make bench`: every benchmark of the project, each beside its peer in the same run, on
# loopback only. Figures go to the terminal and to tests/out/bench/; docs/PERFORMANCE.md
# records them with the command that produced them. Measures, never fails on a figure.
#   probe_bench.sh    CPU per destination probe vs a blocking C client and blackbox-exporter
#   scale_bench.sh    1,000 / 10,000 / 100,000 destinations on NSD: CPU, memory, first round,
#                     config load, /metrics, false downs, in the shared and spread shapes at
#                     one probe rate; then 10,000 at 60 s and 100,000 at 5 min
#   prom-bench        /metrics rendering for 10,000 destinations x 2 MX addresses
#   snmp_bench.sh     bulk walk of mxwDestinationTable vs snmpd's own hrSWInstalledTable
#   pflog.sh          Postfix log lines per CPU second vs prometheus-postfix-exporter
#   sources.sh        the whole log source, and a 100,000-message queue scan
#   smtpd_sessions.sh the project's SMTP test server vs Postfix's smtp-sink
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build} MXW_TOP=$PWD
out=tests/out/bench
mkdir -p "$out"
run() { # name cmd...   (LIMIT=seconds, 900 unless given)
    local name=$1
    shift
    echo "=== $name: $*"
    timeout "${LIMIT:-900}" "$@" 2>&1 | tee "$out/$name.txt"
    echo
}
[ -f tests/bench/probe_bench.sh ] && run probe bash tests/bench/probe_bench.sh
# A 60 s window: CPU is read in ticks of 10 ms, and 1 % of a core is 60 of them. About 16 min.
LIMIT=1800 run scale bash tests/bench/scale_bench.sh "1000 10000 100000" 60
# The scale issue's CPU targets at their own intervals: 10,000 at 60 s, 100,000 at 5 min.
RATE=166 SHAPES=shared run scale-10k-60s bash tests/bench/scale_bench.sh 10000 60
RATE=333 SHAPES=shared LIMIT=900 run scale-100k-5m bash tests/bench/scale_bench.sh 100000 60
run prom "$BUILD/prom-bench"
run snmp bash tests/bench/snmp_bench.sh 10000 3
run pflog bash tests/bench/pflog.sh 500000
run sources bash tests/bench/sources.sh 1000000 100000
run smtpd bash tests/bench/smtpd_sessions.sh 5 2
echo "figures in $out/; record them in docs/PERFORMANCE.md"
