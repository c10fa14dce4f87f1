#!/usr/bin/env bash
# timeout: 90
# probe_dns_cache: answers are kept as the MTA's caching resolver keeps them
# (global.dns_cache: ttl, the default). Ten destinations on a 1 s interval behind NSD (TTL
# 300, SOA minimum 300) and one that does not exist: once each name was asked, no query
# reaches the resolver any more, NXDOMAIN included (RFC 2308), and /metrics says the answer
# came from the cache and how old it is. With dns_cache: off every probe asks again, and
# `mxwatch probe` always asks afresh. Queries are counted by a relay in front of NSD.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/nsd.sh"

N=10
NSD_PORT=$(free_port)
DNS_PORT=$(free_port)
nsd_zone_shared "$N" 127.0.8.1 127.0.8.2 >"$T/test.zone"
start_nsd "$NSD_PORT" "$T/test.zone"
python3 "$MXW_TOP/tests/lib/lossy_dns.py" "$DNS_PORT" "$NSD_PORT" 0 "$T/relay.stats" \
    >>"$T/relay.log" 2>&1 &
track $!
P=$(free_port)
start_smtpd --hostname mx.cache.test --listen "127.0.8.1:$P=ok" --listen "127.0.8.2:$P=ok"
wait_tcp 127.0.8.2 "$P"
wait_for 5 test -s "$T/relay.stats" || fail "the DNS relay did not start"

config() { # config CACHE-MODE
    cat <<EOC
global:
  probe_interval: 1s
  smtp_address_per_minute: 600
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  dns_cache: $1
  smtp_port: $P
snmp: {enabled: false}
destinations:
EOC
    awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "  - d%d.test\n", i }'
    echo "  - gone.test"
}
answered() { sed -n 's/^answered=\([0-9]*\).*/\1/p' "$T/relay.stats"; }

config ttl >"$T/agent.yml"
start_agent "$T/agent.yml"
probed_twice() { [ "$(metric_value "$(scrape)" 'mxwatch_probes_total{destination="gone.test",result="dns_nxdomain"}')" -ge 2 ] 2>/dev/null; }
wait_for 20 probed_twice || fail "gone.test was not probed twice"
# Every name asked once: per destination its MX, the A and AAAA of its two hosts and their
# TLSA records (asked from the probe after its TLS policy was first checked), and the
# NXDOMAIN of gone.test. TXT answers are never cached (docs/TLS.md).
entries() { metric_value "$(scrape)" mxwatch_dns_cache_entries; }
wait_for 20 bash -c "[ \"\$(curl -fsS '$AGENT_URL/metrics' | sed -n 's/^mxwatch_dns_cache_entries //p')\" = $((7 * N + 1)) ]" ||
    fail "the cache holds $(entries) entries, not $((7 * N + 1))"
sleep 1.5 # the relay writes its count every 0.5 s
before=$(answered)
sleep 4
after=$(answered)
note "with the cache: $((after - before)) queries in 4 s (before: $before)"
[ "$((after - before))" -eq 0 ] || fail "$((after - before)) queries reached the resolver in 4 s with every answer cached"
m=$(scrape)
assert_eq 1 "$(metric_value "$m" 'mxwatch_dns_answer_cached{destination="d1.test"}')" "d1.test's MX answer cached"
assert_eq 1 "$(metric_value "$m" 'mxwatch_dns_answer_cached{destination="gone.test"}')" "gone.test's NXDOMAIN cached"
age=$(metric_value "$m" 'mxwatch_dns_answer_age_seconds{destination="d1.test"}')
awk -v a="$age" 'BEGIN { exit !(a >= 2 && a < 60) }' || fail "d1.test's answer age $age"
ttl=$(metric_value "$m" 'mxwatch_dns_ttl_seconds{destination="d1.test"}')
awk -v t="$ttl" -v a="$age" 'BEGIN { exit !(t <= 300 - int(a) && t >= 300 - int(a) - 2) }' || fail "d1.test's TTL $ttl at age $age"
hits=$(metric_value "$m" mxwatch_dns_cache_hits_total)
[ "${hits:-0}" -gt 50 ] || fail "mxwatch_dns_cache_hits_total $hits"
assert_eq $((7 * N + 1)) "$(metric_value "$m" mxwatch_dns_cache_entries)" "cache entries (an MX answer, then A, AAAA and TLSA of its two hosts, per destination)"
up=$(grep -c '^mxwatch_destination_up{.*} 1$' <<<"$m")
assert_eq "$N" "$up" "destinations up"

note "mxwatch probe asks afresh"
before=$(answered)
"$MXWATCH" probe --config.file="$T/agent.yml" d1.test >/dev/null || fail "mxwatch probe d1.test failed"
sleep 1.2
after=$(answered)
[ "$((after - before))" -ge 3 ] || fail "mxwatch probe sent $((after - before)) queries (MX, A, AAAA expected)"

note "dns_cache: off asks at every probe"
config off >"$T/agent.yml"
kill -HUP "$AGENT_PID"
uncached() { [ "$(metric_value "$(scrape)" 'mxwatch_dns_answer_cached{destination="d1.test"}')" = 0 ]; }
wait_for 10 uncached || fail "d1.test's answer still cached with dns_cache: off"
before=$(answered)
sleep 3
after=$(answered)
note "without the cache: $((after - before)) queries in 3 s"
[ "$((after - before))" -ge $((N * 3)) ] || fail "only $((after - before)) queries in 3 s without the cache"
echo "ok"
