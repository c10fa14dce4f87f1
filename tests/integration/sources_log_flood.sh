#!/usr/bin/env bash
# timeout: 180
# A flood of deferred lines cannot grow the agent's memory without bound: anyone on the host
# can write mail-log lines (`logger -p mail.info`), so 256,000 deferral lines, each for a new
# 250-character destination (1,000 messages of 256 recipients), are appended to the log the
# postfix_log source follows. Each recipient is remembered for its message's expiry
# (probes/sources/pfqids.c), under a global cap and with interned destination names, so the
# agent's peak RSS grows by less than FLOOD_RSS_GROWTH_KB. A last line for a configured
# destination tells when the agent has read everything; it is counted like any other.
source "$(dirname "$0")/../lib/common.sh"

# Measured: 73 MB of growth before the caps, about 10 MB with them (docs/RELIABILITY.md).
# ASan shadows every byte and keeps freed memory in quarantine (256 MB by default): a small
# quarantine, and a larger bound.
FLOOD_RSS_GROWTH_KB=${FLOOD_RSS_GROWTH_KB:-24576}
case $BUILD in
*/san*)
    FLOOD_RSS_GROWTH_KB=65536
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
    ;;
esac

: >"$T/maillog"
cat >"$T/agent.yml" <<EOC
global:
  dns_servers: ["127.0.0.1:1"]
  probe_interval: 1h
destinations: [end.test]
snmp: {enabled: false}
sources:
  postfix:
    enabled: true
    config_directory: $T/no-postfix
    queue_interval: 1h
    log_file: $T/maillog
    state_file: $T/postfix-log.state
EOC
start_agent "$T/agent.yml"

M=
log_up() {
    M=$(scrape) || return 1
    [ "$(metric_value "$M" 'mxwatch_source_up{source="postfix_log"}')" = 1 ]
}
wait_for 15 log_up || fail "postfix_log did not open the empty log"
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$AGENT_PID/status"; }
rss_before=$(kb VmRSS)

note "256,000 deferral lines, each for a new 250-character destination"
python3 - "$T/flood.txt" <<'EOP'
import sys
with open(sys.argv[1], "w") as f:
    for m in range(1000):
        qid = "F%09X" % m
        for r in range(256):
            n = m * 256 + r
            # four labels of 61 characters and a tag that makes each name new: 250 bytes
            dom = ".".join(["%c" % (97 + i) * 61 for i in range(4)])[:240] + ".d%08d" % n
            dom = dom[:250]
            f.write("Nov 29 16:37:52 host postfix/smtp[4242]: %s: to=<u%d@%s>, "
                    "relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred "
                    "(connect to mx.%s[192.0.2.1]:25: Connection refused)\n" % (qid, r, dom, "x"))
    f.write("Nov 29 16:37:53 host postfix/smtp[4243]: E0000000001: to=<u@end.test>, "
            "relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred "
            "(connect to mx.end.test[192.0.2.1]:25: Connection refused)\n")
EOP
[ "$(wc -l <"$T/flood.txt")" = 256001 ] || fail "the flood has $(wc -l <"$T/flood.txt") lines"
started=$(date +%s)
cat "$T/flood.txt" >>"$T/maillog"

end_counted() {
    M=$(scrape) || return 1
    [ "$(metric_value "$M" 'mxwatch_soft_bounce_events_total{destination="end.test"}')" = 1 ]
}
wait_for 120 end_counted || fail "the agent did not read the flood to its end in 120 s"
rss_after=$(kb VmRSS)
hwm=$(kb VmHWM)
note "read in $(($(date +%s) - started)) s; RSS ${rss_before} kB before, ${rss_after} kB after, peak ${hwm} kB"
growth=$((hwm - rss_before))
[ "$growth" -lt "$FLOOD_RSS_GROWTH_KB" ] ||
    fail "peak RSS grew by $growth kB under the flood (bound $FLOOD_RSS_GROWTH_KB kB)"
curl -fsS "$AGENT_URL/-/healthy" >/dev/null || fail "agent not healthy after the flood"
note "the flood left RSS growth at $growth kB (bound $FLOOD_RSS_GROWTH_KB kB)"
