#!/usr/bin/env bash
# Postfix log parsing speed: pflog_parse_line (build/pflog-bench) against
# prometheus-postfix-exporter on the same synthetic log, in lines per second of CPU time.
#
#   tests/bench/pflog.sh [LINES]      (default 500000; BUILD=build/san etc. as for tests)
#
# The exporter only follows a log file from its end (it seeks there at start), so the log
# is appended after it starts; it is done when its cleanup counter has seen every message.
# Its CPU time is read from /proc/PID/stat (clock ticks), so figures are +-1%.
# Run by hand or by tests/bench/run.sh; talks to 127.0.0.1 only; stops what it starts.
source "$(dirname "$0")/../lib/common.sh"
N=${1:-500000}
BENCH=$BUILD/pflog-bench
[ -x "$BENCH" ] || fail "$BENCH is missing: run make"

python3 "$MXW_TOP/tests/bench/pflog_gen.py" "$N" "$T/maillog"
echo "pflog: $("$BENCH" --repeat 10 "$T/maillog")"

command -v prometheus-postfix-exporter >/dev/null || {
    note "prometheus-postfix-exporter not installed: apt-get install prometheus-postfix-exporter"
    exit 0
}
port=$(free_port)
: >"$T/follow.log"
prometheus-postfix-exporter --web.listen-address="127.0.0.1:$port" \
    --postfix.logfile_path="$T/follow.log" --postfix.showq_path="$T/no-showq" \
    >"$T/exporter.log" 2>&1 &
pid=$!
track $pid
wait_tcp 127.0.0.1 "$port"
sleep 1 # let it open the file and seek to its end
messages=$(grep -c 'postfix/cleanup\[[0-9]*\]: [0-9A-F]*: message-id=' "$T/maillog")
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
seen() {
    curl -fsS "127.0.0.1:$port/metrics" |
        awk -v want="$messages" '$1 == "postfix_cleanup_messages_processed_total" { ok = ($2 + 0 >= want) }
                                  END { exit !ok }'
}
t0=$(cpu_ticks)
cat "$T/maillog" >>"$T/follow.log"
# Poll once a second: each scrape costs the exporter CPU time too.
for _ in $(seq 1 300); do
    sleep 1
    seen && break
done
seen || fail "the exporter did not read the whole log"
t1=$(cpu_ticks)
awk -v n="$N" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "prometheus-postfix-exporter: lines=%d cpu_s=%.2f lines_per_cpu_s=%.0f\n", n, t / hz, n * hz / t }'
