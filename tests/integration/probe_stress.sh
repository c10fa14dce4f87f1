#!/usr/bin/env bash
# timeout: 90
# probe_stress: the agent under hostile servers. With 30 sessions held open by silent and
# one-byte-a-second servers, /metrics answers within 1 s every time and the loop keeps its
# timers; a session whose QUIT is never answered does not hold up other probes; and after
# many hundreds of probes of the hostile servers (100 KB greetings, garbage, resets, 421,
# 554, silence) the resident memory stays under RSS_BOUND_KB and stops growing.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/probeworld.sh"

RSS_BOUND_KB=20480    # 20 MiB for ~50 destinations, 30 sessions open at a time
RSS_GROWTH_KB=1024    # after the warm-up, over a further ~10 s of probing
DNS_PORT=$(free_port)
P=$(free_port)
HOLD=30               # silent and slow MX hosts, 127.0.4.1..30
{
    for i in $(seq 1 $HOLD); do
        echo "mx-host=hold$i.test,mx.hold$i.test,10"
        echo "host-record=mx.hold$i.test,127.0.4.$i"
    done
    for m in huge:101 garbage:102 reset:103 g421:104 g554:105 noehlo:106 ok:107 noquit:108; do
        for k in 1 2; do echo "mx-host=${m%:*}$k.test,mx.${m%:*}.test,10"; done
        echo "host-record=mx.${m%:*}.test,127.0.4.${m#*:}"
    done
} >"$T/zone.conf"
start_dnsmasq "$DNS_PORT" "$T/zone.conf"
listen=()
for i in $(seq 1 $HOLD); do
    [ $((i % 5)) = 0 ] && listen+=(--listen "127.0.4.$i:$P=slow") || listen+=(--listen "127.0.4.$i:$P=silent")
done
listen+=(--listen "127.0.4.101:$P=huge" --listen "127.0.4.102:$P=garbage,bytes=16384"
    --listen "127.0.4.103:$P=reset" --listen "127.0.4.104:$P=421" --listen "127.0.4.105:$P=554"
    --listen "127.0.4.106:$P=noehlo" --listen "127.0.4.107:$P=ok" --listen "127.0.4.108:$P=noquit")
start_smtpd --hostname mx.stress.test --log "$T/smtpd-events.log" "${listen[@]}"
wait_tcp 127.0.4.107 "$P"

cat >"$T/agent.yml" <<EOC
global:
  probe_interval: 1s
  smtp_address_per_minute: 600
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  smtp_port: $P
  connect_timeout: 1s
  banner_timeout: 4s
  total_timeout: 8s
destinations:
$(for i in $(seq 1 $HOLD); do echo "  - hold$i.test"; done)
$(for m in huge garbage reset g421 g554 noehlo ok noquit; do echo "  - ${m}1.test"; echo "  - ${m}2.test"; done)
snmp:
  enabled: false
EOC
start_agent "$T/agent.yml" --log.level=info

open_sessions() { ss -Htn state established "( dport = :$P )" | grep -c '127\.0\.4\.' || true; }
wait_for 10 bash -c "[ \$(ss -Htn state established '( dport = :$P )' | grep -c '127\.0\.4\.') -ge 20 ]" ||
    fail "fewer than 20 sessions open: $(open_sessions)"

note "/metrics with $(open_sessions) sessions open"
worst=0
for _ in $(seq 1 15); do
    t=$(curl -fsS -o /dev/null --max-time 1 -w '%{time_total}' "$AGENT_URL/metrics") ||
        fail "/metrics did not answer within 1 s while sessions were open"
    worst=$(awk -v a="$worst" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
    sleep 0.1
done
note "slowest /metrics: ${worst} s; sessions open now: $(open_sessions)"
lag=$(metric_value "$(scrape)" mxwatch_probe_loop_lag_seconds)
awk -v l="$lag" 'BEGIN { exit !(l < 0.25) }' || fail "loop lag ${lag} s with sessions open"

note "an unanswered QUIT does not hold up the other probes"
wait_for 5 grep -q "listener=127.0.4.108:$P .*verb=QUIT" "$T/smtpd-events.log" ||
    fail "no QUIT reached the noquit listener"
before=$(metric_value "$(scrape)" 'mxwatch_probes_total{destination="ok1.test",result="ok"}')
held=0
for _ in $(seq 1 25); do # noquit1 and noquit2 share one session: look through the window
    [ "$(ss -Htn state established "( dst 127.0.4.108 )" | wc -l)" -ge 1 ] && held=1
    sleep 0.1
done
after=$(metric_value "$(scrape)" 'mxwatch_probes_total{destination="ok1.test",result="ok"}')
[ $held = 1 ] || fail "no session held open by the noquit server"
[ "$((after - before))" -ge 2 ] || fail "ok1.test probed $((after - before)) times in 2.5 s while a QUIT waited"
# noquit1 and noquit2 share the address, so one session with its 4 s QUIT wait answers both
noquit_up() { [ "$(metric_value "$(scrape)" 'mxwatch_destination_up{destination="noquit1.test"}')" = 1 ]; }
wait_for 10 noquit_up || fail "noquit1.test not up: an unanswered QUIT is not a failure"

note "memory after many probes of hostile servers"
sleep 2
rss_warm=$(rss_kb "$AGENT_PID")
probes_warm=$(scrape | awk '/^mxwatch_probes_total\{/ { n += $2 } END { print n }')
sleep 10
rss_end=$(rss_kb "$AGENT_PID")
probes_end=$(scrape | awk '/^mxwatch_probes_total\{/ { n += $2 } END { print n }')
note "RSS ${rss_warm} kB after $probes_warm probes, ${rss_end} kB after $probes_end (bound ${RSS_BOUND_KB} kB)"
[ "$((probes_end - probes_warm))" -ge 150 ] || fail "only $((probes_end - probes_warm)) probes in 10 s"
case $BUILD in */san) # AddressSanitizer's quarantine and shadow memory: no bound applies
    note "sanitizer build: RSS bounds not checked"
    rss_end=0 rss_warm=0 ;;
esac
[ "$rss_end" -le $RSS_BOUND_KB ] || fail "RSS ${rss_end} kB over the bound ${RSS_BOUND_KB} kB"
[ $((rss_end - rss_warm)) -le $RSS_GROWTH_KB ] ||
    fail "RSS grew ${rss_warm} -> ${rss_end} kB over $((probes_end - probes_warm)) probes"
m=$(scrape)
assert_eq 1 "$(metric_value "$m" 'mxwatch_destination_up{destination="huge1.test"}')" "huge1.test up"
assert_eq 1 "$(metric_value "$m" 'mxwatch_destination_status_reason_info{destination="garbage1.test",reason="protocol_error"}')" "garbage1.test reason"
assert_eq 1 "$(metric_value "$m" 'mxwatch_destination_status_reason_info{destination="hold1.test",reason="banner_timeout"}')" "hold1.test reason"
