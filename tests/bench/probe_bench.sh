#!/usr/bin/env bash
# The probe engine's CPU cost per probe, beside its floor and a peer, on one loopback world:
#   mxwatch        N destinations on a short interval; CPU time of the agent (/proc/PID/stat)
#                  over a measured window divided by the probes completed in it (the sum of
#                  mxwatch_probes_total). One probe: MX, A and AAAA queries, and the SMTP
#                  check of the primary MX, which destinations behind the same address share
#                  (one session answers all that wait for it; smtp_sessions says how many ran).
#   floor          build/smtpfloor-bench: a blocking C client doing connect, greeting, EHLO,
#                  QUIT, close against the same listeners; its CPU time per session, taken
#                  before and after the mxwatch runs and averaged.
#   blackbox       prometheus-blackbox-exporter 0.23 on the same targets: its tcp prober with
#                  query_response (220, EHLO, 250, QUIT, 221) and its dns prober (MX),
#                  driven by curl; its CPU time per /probe request, measured the same way.
# The target is mxwatch <= 2 x floor. A second mxwatch run with MX hosts that have no
# address gives the DNS share of a probe (MX, A and AAAA queries alone).
#
#   tests/bench/probe_bench.sh [DESTINATIONS] [WINDOW_SECONDS]   (default 2000, 20)
#   INTERVAL=4s tests/bench/probe_bench.sh          (default 1s: 2000 probes a second)
#
# The MX hosts offer no STARTTLS (mxw-smtpd without a certificate), so every tool does the
# same plain session. NSD serves the zone (a fast resolver: dnsmasq's slowness hid stalls);
# 50 mxw-smtpd listeners on 127.0.6.x play the
# MX hosts. Talks to 127.0.0.0/8 only; stops what it starts. PERF=1 also records where
# mxwatch's CPU goes (perf record) into MXW_BENCH_OUT or the log folder. On a shared
# machine the figures move by 10-20 % from run to run: compare medians of several runs.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/nsd.sh"
N=${1:-2000}
WINDOW=${2:-20}
INTERVAL=${INTERVAL:-1s}
ADDRS=50
FLOOR=$BUILD/smtpfloor-bench
[ -x "$FLOOR" ] && [ -x "$MXWATCH" ] || fail "build/smtpfloor-bench or build/mxwatch missing: run make"
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

DNS_PORT=$(free_port)
P=$(free_port)
{
    printf '$ORIGIN test.\n$TTL 300\n@ IN SOA ns.test. admin.test. 1 3600 600 86400 300\n'
    printf '@ IN NS ns.test.\nns IN A 127.0.0.1\n'
    awk -v n="$N" -v a="$ADDRS" 'BEGIN {
        for (i = 1; i <= n; i++) {
            printf "d%d.bench IN MX 10 mx%d.bench.test.\nmx%d.bench IN A 127.0.6.%d\n", i, i, i, i % a + 1
            printf "n%d.bench IN MX 10 nomx%d.bench.test.\n", i, i
        }
    }'
} >"$T/test.zone"
start_nsd "$DNS_PORT" "$T/test.zone"
listen=()
for a in $(seq 1 $ADDRS); do listen+=(--listen "127.0.6.$a:$P=ok"); done
start_smtpd --hostname mx.bench.test "${listen[@]}"
wait_tcp 127.0.6.1 "$P"

# --- mxwatch ---------------------------------------------------------------------------
# run_mxwatch LABEL PREFIX: N destinations PREFIX$i.bench.test; prints the figures and sets
# MX_US to the CPU microseconds per completed probe.
run_mxwatch() {
    local label=$1 prefix=$2 p0 c0 t0 p1 c1 t1 rate
    cat >"$T/agent.yml" <<EOC
global:
  probe_interval: $INTERVAL
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  dns_tries: 1
  smtp_address_per_minute: 600
  smtp_port: $P
  connect_timeout: 2s
  banner_timeout: 2s
  total_timeout: 5s
destinations:
$(for i in $(seq 1 "$N"); do echo "  - $prefix$i.bench.test"; done)
snmp:
  enabled: false
EOC
    start_agent "$T/agent.yml" --log.level=info
    wait_for 60 curl -fsS "$AGENT_URL/-/ready" || fail "the first probe round did not finish"
    sleep 2
    p0=$(probes_done) c0=$(cpu_ticks "$AGENT_PID") t0=$(date +%s%N)
    if [ -n "${PERF:-}" ] && [ "$label" = full ]; then
        perf record -g -o "$T/perf.data" -p "$AGENT_PID" -- sleep "$WINDOW" >/dev/null 2>&1
    else
        sleep "$WINDOW"
    fi
    p1=$(probes_done) c1=$(cpu_ticks "$AGENT_PID") t1=$(date +%s%N)
    MX_US=$(awk -v c=$((c1 - c0)) -v p=$((p1 - p0)) -v hz="$HZ" 'BEGIN { printf "%.1f", c * 1e6 / hz / p }')
    rate=$(awk -v p=$((p1 - p0)) -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", p * 1e9 / ns }')
    echo "mxwatch $label: destinations=$N interval=$INTERVAL probes=$((p1 - p0)) probes_per_s=$rate" \
        "cpu_s=$(awk -v c=$((c1 - c0)) -v hz="$HZ" 'BEGIN { printf "%.2f", c / hz }') cpu_us_per_probe=$MX_US" \
        "rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status")" \
        "smtp_sessions=$(metric_value "$(scrape)" mxwatch_smtp_sessions_total)" \
        "results: $(scrape | awk '/^mxwatch_probes_total\{/ { split($0, a, "result=\""); split(a[2], b, "\""); n[b[1]] += $2 }
                                   END { for (k in n) printf "%s=%d ", k, n[k] }')"
    kill "$AGENT_PID"
    wait "$AGENT_PID" 2>/dev/null || true
}
probes_done() { scrape | awk '/^mxwatch_probes_total\{/ { n += $2 } END { print n + 0 }'; }

# The floor is taken before and after the mxwatch runs and averaged: on a shared machine the
# cost of the same syscalls drifts over minutes, and the ratio must compare like with like.
floor_run() {
    local line
    line=$("$FLOOR" 127.0.6.1 "$P" 10000 $ADDRS) || fail "smtpfloor-bench failed"
    echo "floor: $line" >&2
    sed -n 's/.*cpu_us_per_session=\([0-9.]*\).*/\1/p' <<<"$line"
}
floor_before=$(floor_run)
run_mxwatch full d
full_us=$MX_US
if [ -n "${PERF:-}" ]; then
    perf report -i "$T/perf.data" --no-children --sort dso,symbol --stdio \
        >"$T/perf.txt" 2>/dev/null || true
    grep -E '^ +[0-9]' "$T/perf.txt" | head -n 60 >"${MXW_BENCH_OUT:-$T}/probe-perf.txt" || true
    note "perf profile: ${MXW_BENCH_OUT:-$T}/probe-perf.txt"
fi
# The DNS share: the same MX, A and AAAA queries, for MX hosts without addresses.
run_mxwatch dns-only n
dns_us=$MX_US

floor_after=$(floor_run)
floor_us=$(awk -v a="$floor_before" -v b="$floor_after" 'BEGIN { printf "%.1f", (a + b) / 2 }')

# --- prometheus-blackbox-exporter ------------------------------------------------------
bb_us_smtp=- bb_us_dns=-
if command -v prometheus-blackbox-exporter >/dev/null; then
    BB_PORT=$(free_port)
    cat >"$T/blackbox.yml" <<EOB
modules:
  smtp_banner:
    prober: tcp
    timeout: 5s
    tcp:
      query_response:
        - expect: "^220"
        - send: "EHLO bench.test"
        - expect: "^250 "
        - send: "QUIT"
        - expect: "^221"
  dns_mx:
    prober: dns
    timeout: 5s
    dns:
      query_name: "d1.bench.test"
      query_type: "MX"
      transport_protocol: udp
      preferred_ip_protocol: ip4
EOB
    prometheus-blackbox-exporter --config.file="$T/blackbox.yml" \
        --web.listen-address="127.0.0.1:$BB_PORT" >"$T/blackbox.log" 2>&1 &
    BB_PID=$!
    track $BB_PID
    wait_tcp 127.0.0.1 "$BB_PORT"
    bb=http://127.0.0.1:$BB_PORT/probe
    for u in "module=smtp_banner&target=127.0.6.1:$P" "module=dns_mx&target=127.0.0.1:$DNS_PORT"; do
        curl -fsS "$bb?$u" | grep -q '^probe_success 1' || fail "blackbox probe $u failed"
    done
    bb_run() { # bb_run N QUERY-FOR-i: N probes, 8 at a time; prints CPU us per probe
        local n=$1 q=$2 i c0 c1
        for i in $(seq 1 "$n"); do
            printf 'url = "%s?%s"\noutput = "/dev/null"\n' "$bb" "$(eval "echo \"$q\"")"
        done >"$T/bb-urls"
        c0=$(cpu_ticks $BB_PID)
        curl -sS --no-progress-meter -Z --parallel-max 8 -K "$T/bb-urls" || fail "curl against blackbox failed"
        c1=$(cpu_ticks $BB_PID)
        awk -v c=$((c1 - c0)) -v n="$n" -v hz="$HZ" 'BEGIN { printf "%.1f", c * 1e6 / hz / n }'
    }
    bb_run 500 'module=smtp_banner&target=127.0.6.$((i % ADDRS + 1)):$P' >/dev/null # warm-up
    bb_us_smtp=$(bb_run 5000 'module=smtp_banner&target=127.0.6.$((i % ADDRS + 1)):$P')
    bb_us_dns=$(bb_run 5000 "module=dns_mx&target=127.0.0.1:$DNS_PORT")
    echo "blackbox: cpu_us_per_smtp_probe=$bb_us_smtp cpu_us_per_dns_probe=$bb_us_dns"
else
    note "prometheus-blackbox-exporter not installed: apt-get install prometheus-blackbox-exporter"
fi

awk -v m="$full_us" -v dns="$dns_us" -v f="$floor_us" -v s="$bb_us_smtp" -v d="$bb_us_dns" 'BEGIN {
    printf "summary: mxwatch %.0f us/probe (MX+A+AAAA+SMTP; DNS share %.0f us, SMTP share %.0f us), ", m, dns, m - dns
    printf "floor %.0f us/session, ratio %.2f (target <= 2: %s)", f, m / f, m <= 2 * f ? "met" : "missed"
    if (s != "-") printf ", blackbox %.0f us SMTP + %.0f us DNS = %.0f us", s, d, s + d
    printf "\n"
}'
