#!/usr/bin/env bash
# The soak (issue #13 item 11): the agent runs for DURATION on the demo world of `make run`
# plus the hostile servers of the tests (tests/soak/hostile.sh: lossy and silent DNS, every
# misbehaving SMTP mode, destinations that come and go at each reload) and SNMP through a
# private snmpd, under steady load:
#   every second   a scrape of /metrics (its time, its loop lag, its count of series)
#   every 15 s     the status page, the API list, one destination's API and page, tophosts
#   every 30 s     an snmpbulkwalk of MXWATCH-MIB through snmpd (AgentX)
#   every minute   a reload with a changed file, POST /-/reload and SIGHUP in turn
#                  (SOAK_RELOAD_EVERY=N: every N seconds instead, to magnify a leak per
#                  reload; the agent starts at most one reload a second)
#   every 5 min    20 s of slow HTTP clients (tests/lib/slow_clients.py: idle connections
#                  and a slowloris), starting 30 s in
# Every 10 s a row goes to soak.csv: elapsed_s, rss_kb (VmRSS), fds (/proc/PID/fd),
# threads, lag_ms and scrape_ms (the most of the window's scrapes), scrapes_ok,
# scrapes_failed, series, attack (1 during an attack and 15 s after it).
#
# The verdict is tests/soak/verdict.py's (its header states the rules: from the first to
# the last quarter after warm-up, RSS may not grow by more than 5 % and 2 MB, fds by more
# than 2, threads by more than 1, ...). Warm-up: the first 10 minutes, or the first half
# of a run shorter than 20 minutes. This script fails the soak as well when the agent died,
# logged level=error more than twice, applied fewer reloads than it was sent (less one,
# which may still be waiting at the end), answered a reload POST, a page or the API with
# anything but 200 in more than 1 % of the requests, left more than 10 % of the SNMP walks
# empty, or did not stop cleanly within 10 s of SIGTERM.
#
# Writes soak.csv, soak.svg (tests/soak/plot.py), summary.txt and the logs to SOAK_OUT
# (default tests/soak/out/DATE-DURATION) and prints the table. Exits 0 when the soak held.
# Called by `make soak DURATION=1h` (Ns, Nm or Nh; a bare N is seconds).
# Usage: tests/soak/soak.sh DURATION
# The logs are copied to the output directory; the exit trap need not print their tails.
export MXW_QUIET_CLEANUP=1
source "$(dirname "$0")/../lib/common.sh"
# A soak must outlive a failed curl: every step below checks its own result.
set +e
source "$MXW_TOP/deploy/demo/world.sh"
source "$MXW_TOP/deploy/demo/snmpd.sh"
source "$MXW_TOP/tests/soak/hostile.sh"

[[ ${1:-} =~ ^([0-9]{1,6})([smh]?)$ ]] ||
    fail "usage: soak.sh DURATION (Ns, Nm or Nh), got '${1:-}'"
DUR=$((10#${BASH_REMATCH[1]}))
case ${BASH_REMATCH[2]} in m) DUR=$((DUR * 60)) ;; h) DUR=$((DUR * 3600)) ;; esac
[ "$DUR" -ge 60 ] || fail "DURATION '$1': at least 60 s"
WARMUP=600
[ "$DUR" -ge 1200 ] || WARMUP=$((DUR / 2))
RELOAD_EVERY=${SOAK_RELOAD_EVERY:-60}
[[ $RELOAD_EVERY =~ ^[1-9][0-9]*$ ]] || fail "SOAK_RELOAD_EVERY '$RELOAD_EVERY': seconds, at least 1"
OUT=${SOAK_OUT:-$MXW_TOP/tests/soak/out/$(date +%Y%m%d-%H%M%S)-$1}
mkdir -p "$OUT" || fail "cannot make $OUT"
CSV=$OUT/soak.csv
echo "elapsed_s,rss_kb,fds,threads,lag_ms,scrape_ms,scrapes_ok,scrapes_failed,series,attack" >"$CSV"

start_snmptrapd
start_snmpd
WORLD_SNMP=true
WORLD_AGENTX_SOCKET=$AGENTX_SOCKET
WORLD_INTERVAL=${SOAK_INTERVAL:-5s}
start_world
start_hostile
AGENT_START_WAIT=20 start_agent "$SOAK_CONFIG" --web.enable-lifecycle --log.level=info
note "soak: $1 ($DUR s, warm-up $WARMUP s), agent pid $AGENT_PID at $AGENT_URL, output $OUT"

# ---- the load ------------------------------------------------------------------------
win_ok=0 win_failed=0 win_lag=0 win_scrape=0 series=0
reloads=0 attack_pid='' attack_until=-1 bg=()

scrape_once() {
    local res code took lag n
    res=$(curl -s -o "$T/metrics.txt" -w '%{http_code} %{time_total}' --max-time 5 \
        "$AGENT_URL/metrics")
    read -r code took <<<"$res"
    if [ "$code" != 200 ]; then
        win_failed=$((win_failed + 1))
        return
    fi
    win_ok=$((win_ok + 1))
    read -r lag n < <(awk '$1 == "mxwatch_probe_loop_lag_seconds" { l = $2 }
        !/^#/ && NF { n++ } END { printf "%d %d\n", l * 1000 + 0.5, n }' "$T/metrics.txt")
    series=$n
    [ "$lag" -le "$win_lag" ] || win_lag=$lag
    took=$(awk -v t="$took" 'BEGIN { printf "%d", t * 1000 + 0.5 }')
    [ "$took" -le "$win_scrape" ] || win_scrape=$took
}

write_row() { # ELAPSED
    local rss threads fds attack=0
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null)
    threads=$(awk '/^Threads:/ { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null)
    fds=$(ls "/proc/$AGENT_PID/fd" 2>/dev/null | wc -l)
    [ -n "$rss" ] || return 1
    [ "$1" -gt "$attack_until" ] || attack=1
    echo "$1,$rss,$fds,$threads,$win_lag,$win_scrape,$win_ok,$win_failed,$series,$attack" >>"$CSV"
    win_ok=0 win_failed=0 win_lag=0 win_scrape=0
}

reload() {
    reloads=$((reloads + 1))
    soak_config "$reloads"
    if [ $((reloads % 2)) -eq 1 ]; then
        echo "POST $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST \
            "$AGENT_URL/-/reload")" >>"$T/requests.codes"
    else
        kill -HUP "$AGENT_PID"
    fi
}

pages() {
    local p
    for p in / /api/v1/destinations /api/v1/destinations/alpha.test /destinations/alpha.test \
        /api/v1/tophosts; do
        echo "GET $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$AGENT_URL$p")"
    done >>"$T/requests.codes"
}

snmp_walk() {
    timeout 25 snmpbulkwalk -v2c -c public -On -t 2 -r 0 "127.0.0.1:$SNMPD_PORT" \
        1.3.6.1.4.1.32473.725 2>/dev/null | grep -c '^\.1\.3\.6\.1\.4\.1\.32473\.725\.' \
        >>"$T/snmp.counts"
}

attack() { # ELAPSED
    python3 "$MXW_TOP/tests/lib/slow_clients.py" "${AGENT_URL##*:}" 20 100 4 4 10 \
        >>"$T/attack.log" 2>&1 &
    attack_pid=$!
    track $attack_pid
    attack_until=$(($1 + 20 + 15))
}

died=0
t0=${EPOCHREALTIME/./}
for ((tick = 0; tick < DUR; tick++)); do
    kill -0 "$AGENT_PID" 2>/dev/null || {
        died=1
        break
    }
    scrape_once
    [ $((tick % 10)) -ne 9 ] || write_row $((tick + 1))
    [ $((tick % RELOAD_EVERY)) -ne $((RELOAD_EVERY / 2)) ] || reload
    [ $((tick % 15)) -ne 7 ] || { pages & bg+=($!); }
    [ $((tick % 30)) -ne 20 ] || { snmp_walk & bg+=($!); }
    [ $((tick % 300)) -ne 30 ] || attack "$tick"
    left=$((t0 + (tick + 1) * 1000000 - ${EPOCHREALTIME/./}))
    [ "$left" -le 0 ] || sleep "$(printf '%d.%06d' $((left / 1000000)) $((left % 1000000)))"
done

# ---- the end ---------------------------------------------------------------------------
[ -z "$attack_pid" ] || wait "$attack_pid"
# The agent's own tables at the end, for the record (all bounded by the world's size).
tables=$(awk '/^mxwatch_(destinations|dns_cache_entries|smtp_addresses)[ {]/ { printf "%s ", $0 }' \
    "$T/metrics.txt")
for p in "${bg[@]}"; do wait "$p" 2>/dev/null; done
stopped=0
if [ $died -eq 0 ]; then
    kill -TERM "$AGENT_PID"
    wait_for 10 bash -c "! kill -0 $AGENT_PID 2>/dev/null" && stopped=1
    wait "$AGENT_PID" 2>/dev/null
fi
cp "$T/agent.log" "$T/requests.codes" "$T/snmp.counts" "$T/attack.log" "$T/lossy.stats" \
    "$T/smtpd.log" "$T/hostile-smtpd.log" "$T/snmpd.log" "$OUT/" 2>/dev/null
python3 "$MXW_TOP/tests/soak/plot.py" "$CSV" "$WARMUP" "$OUT/soak.svg" \
    "mxwatch soak, $1 ($(date +%Y-%m-%d), revision $(git -C "$MXW_TOP" rev-parse --short HEAD))" ||
    echo "soak: the plot failed"

problems=()
python3 "$MXW_TOP/tests/soak/verdict.py" "$CSV" "$WARMUP" >"$OUT/summary.txt" ||
    problems+=("verdict.py's rules")
[ $died -eq 0 ] || problems+=("the agent died after $tick s")
[ $died -ne 0 ] || [ $stopped -eq 1 ] || problems+=("the agent did not stop within 10 s of SIGTERM")
[ $died -ne 0 ] || grep -q 'msg="stopped"' "$T/agent.log" || problems+=("no clean stop logged")
errors=$(grep -c 'level=error' "$T/agent.log")
[ "$errors" -le 2 ] || problems+=("$errors level=error lines in the agent's log")
applied=$(grep -c 'msg="reloaded"' "$T/agent.log")
[ "$applied" -ge $((reloads - 1)) ] || problems+=("$applied of $reloads reloads applied")
touch "$T/requests.codes" "$T/snmp.counts" "$T/attack.log"
requests=$(wc -l <"$T/requests.codes")
bad_requests=$(grep -cv ' 200$' "$T/requests.codes")
[ $((bad_requests * 100)) -le "$requests" ] ||
    problems+=("$bad_requests of $requests reload POSTs and page requests not 200")
walks=$(wc -l <"$T/snmp.counts")
empty_walks=$(grep -cx 0 "$T/snmp.counts")
[ $((empty_walks * 10)) -le "$walks" ] || problems+=("$empty_walks of $walks SNMP walks empty")
{
    echo "agent: errors logged $errors, reloads $applied applied of $reloads sent," \
        "requests $((requests - bad_requests)) of $requests answered 200," \
        "SNMP walks $((walks - empty_walks)) of $walks with rows (about $(sort -n "$T/snmp.counts" | tail -1) varbinds)"
    echo "tables at the end: $tables"
    echo "world: DNS relay $(cat "$T/lossy.stats"); slow-client attacks $(grep -c opened= "$T/attack.log")"
    why=$(printf '%s; ' "${problems[@]}")
    [ ${#problems[@]} -eq 0 ] && echo "soak: PASS" || echo "soak: FAIL: ${why%; }"
    echo "files: $OUT (soak.csv, soak.svg, summary.txt, logs)"
} >>"$OUT/summary.txt"
cat "$OUT/summary.txt"
grep 'level=error' "$T/agent.log" | head -5
[ ${#problems[@]} -eq 0 ]
