#!/usr/bin/env bash
# The probe engine at scale, on a fast resolver (NSD, rate limiting off): for each size N,
# the same probe rate (RATE destinations a second, so interval = N / RATE) in two shapes:
#   shared   every destination behind 8 MX addresses (a large provider's customers)
#   spread   destinations over 1,000 MX addresses (each address serves N / 1,000)
# and for each run it prints one line of figures:
#   load_s         `mxwatch check-config` on the N-destination file
#   first_round_s  start to /-/ready (every destination probed once)
#   cpu_pct        the agent's CPU over WINDOW seconds after the first round, % of one core
#                  (no scrape falls in that window); us_per_probe: that CPU per probe done
#   probes_per_s   probes completed per second in the window, against due (N / interval)
#   rss_mb, bytes_per_dest   resident memory, and (RSS - RSS of an empty agent) / N
#   metrics_ms, metrics_mb   one plain /metrics scrape
#   sessions       SMTP sessions in the window; false  destinations not up (every MX answers)
#
#   tests/bench/scale_bench.sh [SIZES] [WINDOW]   (default "1000 10000 100000", 30)
#   RATE=100 SHAPES="shared spread" tests/bench/scale_bench.sh "10000" 30
# PROFILE=DIR also records the agent with perf over each window (DIR/perf-N-SHAPE.data) and
# keeps its flat report (DIR/perf-N-SHAPE.txt): the profile behind a figure.
# BENCH_GLOBAL adds lines to the global section ("  tls_policy: false"): the cost of a feature.
# Figures only, never a verdict. Talks to 127.0.0.0/8 only; stops what it starts.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/nsd.sh"
AGENT_START_WAIT=300 # a 100,000-destination configuration takes a while to load
SIZES=${1:-1000 10000 100000}
WINDOW=${2:-30}
RATE=${RATE:-100}
SHAPES=${SHAPES:-shared spread}
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

P=$(free_port)
SPREAD=1000
for g in 0 1 2 3; do # mxw-smtpd takes at most 256 listeners: four of 250
    listen=()
    for i in $(seq 1 250); do listen+=(--listen "127.0.$((20 + g)).$i:$P=ok"); done
    start_smtpd --hostname mx.scale.test "${listen[@]}"
done
for g in 0 1 2 3; do wait_tcp "127.0.$((20 + g)).250" "$P"; done

# An empty agent's RSS: what every size pays before its first destination.
cat >"$T/empty.yml" <<EOC
snmp: {enabled: false}
EOC
start_agent "$T/empty.yml" --log.level=warn
sleep 2
RSS_EMPTY=$(rss_kb "$AGENT_PID")
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
echo "empty agent: rss_kb=$RSS_EMPTY"

run() { # N SHAPE
    local n=$1 shape=$2 iv addrs=() dns_port t0 t1 load first c0 c1 p0 p1 w0 w1 m
    iv=$((n / RATE))
    [ "$iv" -ge 5 ] || iv=5
    if [ "$shape" = shared ]; then
        addrs=(127.0.20.1 127.0.20.2 127.0.20.3 127.0.20.4 127.0.20.5 127.0.20.6 127.0.20.7 127.0.20.8)
    else
        for i in $(seq 0 $((SPREAD - 1))); do addrs+=("127.0.$((20 + i / 250)).$((i % 250 + 1))"); done
    fi
    nsd_zone_shared "$n" "${addrs[@]}" >"$T/test.zone"
    dns_port=$(free_port)
    start_nsd "$dns_port" "$T/test.zone"
    {
        printf 'global:\n  probe_interval: %ss\n  dns_servers: ["127.0.0.1:%s"]\n  smtp_port: %s\n' "$iv" "$dns_port" "$P"
        [ -z "${BENCH_GLOBAL:-}" ] || printf '%s\n' "$BENCH_GLOBAL"
        printf 'snmp: {enabled: false}\ndestinations:\n'
        awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++) printf "  - d%d.test\n", i }'
    } >"$T/agent.yml"
    t0=$(date +%s%N)
    "$MXWATCH" check-config "$T/agent.yml" >/dev/null || fail "check-config refused the $n-destination file"
    t1=$(date +%s%N)
    load=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    t0=$(date +%s%N)
    start_agent "$T/agent.yml" --log.level=warn
    wait_for $((iv + 600)) curl -fsS -o /dev/null "$AGENT_URL/-/ready" || fail "no first round for $n ($shape)"
    t1=$(date +%s%N)
    first=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    probes() { scrape | awk '/^mxwatch_probes_total\{/ { n += $2 } END { print n + 0 }'; }
    # The scrapes that count probes and sessions stay outside the CPU window: at 100,000
    # destinations one /metrics render costs about 0.2 s of CPU, which is not probing.
    local s0 s1 t_p0 t_p1
    p0=$(probes) t_p0=$(date +%s%N)
    s0=$(metric_value "$(scrape)" mxwatch_smtp_sessions_total)
    c0=$(cpu_ticks "$AGENT_PID") w0=$(date +%s%N)
    if [ -n "${PROFILE:-}" ]; then
        mkdir -p "$PROFILE"
        perf record -q -F 999 -g -o "$PROFILE/perf-$n-$shape.data" -p "$AGENT_PID" \
            -- sleep "$WINDOW" 2>/dev/null
        perf report -q --stdio --no-children --percent-limit 0.5 -g none \
            -i "$PROFILE/perf-$n-$shape.data" >"$PROFILE/perf-$n-$shape.txt" 2>/dev/null || true
    else
        sleep "$WINDOW"
    fi
    c1=$(cpu_ticks "$AGENT_PID") w1=$(date +%s%N)
    s1=$(metric_value "$(scrape)" mxwatch_smtp_sessions_total)
    t_p1=$(date +%s%N) p1=$(probes)
    local rss t_scrape size sessions notup
    rss=$(rss_kb "$AGENT_PID")
    read -r t_scrape size < <(curl -s -o "$T/metrics.txt" -w '%{time_total} %{size_download}\n' "$AGENT_URL/metrics")
    m=$(cat "$T/metrics.txt")
    sessions=$((s1 - s0))
    notup=$(grep -c '^mxwatch_destination_status{destination="d[0-9]*\.test",status="up"} 0$' <<<"$m" || true)
    awk -v n="$n" -v shape="$shape" -v iv="$iv" -v load="$load" -v first="$first" \
        -v c=$((c1 - c0)) -v hz="$HZ" -v p=$((p1 - p0)) -v ns=$((w1 - w0)) -v pns=$((t_p1 - t_p0)) -v rss="$rss" \
        -v empty="$RSS_EMPTY" -v ts="$t_scrape" -v sz="$size" -v ses="$sessions" -v f="$notup" 'BEGIN {
        s = ns / 1e9
        ps = pns / 1e9
        printf "destinations=%d shape=%s interval_s=%d load_s=%s first_round_s=%s cpu_pct=%.2f " \
               "us_per_probe=%.0f probes_per_s=%.0f due_per_s=%.0f rss_mb=%.1f bytes_per_dest=%.0f metrics_ms=%.0f " \
               "metrics_mb=%.1f sessions=%d false=%d\n", n, shape, iv, load, first,
               c / hz / s * 100, c / hz * 1e6 / (p / ps * s), p / ps, n / iv, rss / 1024, (rss - empty) * 1024 / n, ts * 1000,
               sz / 1048576, ses, f
    }'
    kill "$AGENT_PID"
    wait "$AGENT_PID" 2>/dev/null || true
    kill "$NSD_PID" 2>/dev/null
    wait_for 10 bash -c "! kill -0 $NSD_PID 2>/dev/null" || true
}

for n in $SIZES; do
    for shape in $SHAPES; do run "$n" "$shape"; done
done
