#!/usr/bin/env bash
# The MTA sources' performance figures (docs/SOURCES.md quotes them):
#  1. the postfix_log source as a whole (file reads, line assembly, parsing, attribution,
#     store updates) on tests/bench/pflog_gen.py output, in lines per CPU second, beside
#     prometheus-postfix-exporter on the same kind of log (tests/bench/pflog.sh);
#  2. the queue path (pfqueue + tally + discovery) on a synthetic 100,000-message
#     `postqueue -j` listing;
#  3. a real Postfix with 100,000 messages in its hold queue (one real queue file cloned,
#     which showq reads like any other): `postqueue -j` itself, then the agent scanning it
#     every 5 s (mxwatch_source_duration_seconds) and its loop lag meanwhile.
#
#   tests/bench/sources.sh [LINES] [MESSAGES]    (defaults 1000000 and 100000)
#
# Run by hand or by tests/bench/run.sh; talks to 127.0.0.1 only; stops what it starts.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/postfix.sh"
N=${1:-1000000}
Q=${2:-100000}
BENCH=$BUILD/sources-bench
[ -x "$BENCH" ] || fail "$BENCH is missing: run make"

echo "== 1. postfix_log source, $N lines"
python3 "$MXW_TOP/tests/bench/pflog_gen.py" "$N" "$T/maillog"
cat "$T/maillog" >/dev/null # in the page cache, as a log being followed is
for _ in 1 2 3; do "$BENCH" log "$T/maillog"; done
rm -f "$T/maillog"
"$MXW_TOP/tests/bench/pflog.sh" "$((N < 500000 ? N : 500000))" | grep -E '^(pflog|prometheus)'

echo "== 2. queue path, $Q synthetic messages"
"$BENCH" queue-gen "$Q" "$T/queue.json"
for _ in 1 2 3; do "$BENCH" queue "$T/queue.json" 2>/dev/null; done

echo "== 3. a real Postfix with $Q held messages"
start_postfix "$T/pf" "down.test=smtp:[127.0.0.32]:$(free_port)" "queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s"
pf_send a@origin.test x@down.test
wait_for 10 bash -c "[ -n \"\$(postqueue -c '$PF_CONF' -j)\" ]" || fail "no queued message"
postsuper -c "$PF_CONF" -h ALL >/dev/null 2>&1
src=$(ls "$PF_QUEUE/hold" | head -n 1)
[ -n "$src" ] || fail "nothing on hold"
python3 - "$PF_QUEUE/hold" "$src" "$Q" <<'EOF'
import os, sys
d, src, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(os.path.join(d, src), "rb").read()
st = os.stat(os.path.join(d, src))
for i in range(1, n):
    p = os.path.join(d, "%011X" % (0xB0000000000 + i))
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, st.st_mode)
    os.chown(p, st.st_uid, st.st_gid)
EOF
for _ in 1 2; do
    s=$EPOCHREALTIME
    lines=$(postqueue -c "$PF_CONF" -j | wc -l)
    awk -v a="$s" -v b="$EPOCHREALTIME" -v n="$lines" \
        'BEGIN { printf "postqueue -j: messages=%d wall_s=%.2f\n", n, b - a }'
done
cat >"$T/agent.yml" <<EOC
global: {dns_servers: ["127.0.0.1:1"]}
snmp: {enabled: false}
sources:
  postfix: {enabled: true, config_directory: "$PF_CONF", queue_interval: 10s, log_file: "$PF_LOG", state_file: "$T/state"}
EOC
start_agent "$T/agent.yml"
lag_max=0 durations=
for _ in $(seq 1 70); do
    sleep 0.5
    m=$(scrape)
    lag=$(metric_value "$m" mxwatch_probe_loop_lag_seconds)
    lag_max=$(awk -v a="$lag" -v b="$lag_max" 'BEGIN { print (a > b) ? a : b }')
    d=$(metric_value "$m" 'mxwatch_source_duration_seconds{source="postfix_queue"}')
    [[ " $durations " == *" $d "* ]] || durations+=" $d"
done
m=$(scrape)
echo "agent: scan_wall_s=[$durations ] source_up=$(metric_value "$m" 'mxwatch_source_up{source="postfix_queue"}')" \
    "max_loop_lag_s=$lag_max (sampled every 0.5 s over 35 s)"
ps -o rss=,cputime= -p "$AGENT_PID" | awk '{ print "agent: rss_kb=" $1 " cpu=" $2 " (about 4 scans)" }'
