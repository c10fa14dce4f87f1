#!/usr/bin/env bash
# prom_endpoints: the HTTP surface of a running agent. /metrics passes promtool and carries
# the families that exist without probe results; gzip is served when (and only when) asked
# for; the JSON API parses; /, /-/healthy, /-/ready, POST /-/reload, 404/405/413 behave;
# IPv4, IPv6 and dual-stack listeners answer; the connection limits and the idle timeout
# keep a client that hoards connections from starving the scraper.
# timeout: 90
source "$(dirname "$0")/../lib/common.sh"

cat >"$T/mxwatch.yml" <<'EOC'
destinations:
  - alpha.test
  - beta.test
  - gamma.test
web:
  max_connections: 8
  max_connections_per_ip: 3
  timeout: 1s
EOC
start_agent "$T/mxwatch.yml" --dns.server=127.0.0.1:9 --smtp.port=9 --web.enable-lifecycle

# ---- /metrics ----
hdr=$(curl -fsS -D - -o "$T/metrics.txt" "$AGENT_URL/metrics")
assert_contains "$hdr" "Content-Type: text/plain; version=0.0.4; charset=utf-8" "metrics headers"
assert_not_contains "$hdr" "Content-Encoding" "metrics headers without Accept-Encoding"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.log" 2>&1 ||
    { cat "$T/promtool.log"; fail "promtool check metrics rejects /metrics"; }
m=$(cat "$T/metrics.txt")
for f in mxwatch_destination_up mxwatch_destination_status mxwatch_destination_status_reason_info \
    mxwatch_build_info mxwatch_shard_info mxwatch_destinations mxwatch_probes_in_flight \
    mxwatch_probe_loop_lag_seconds \
    mxwatch_config_last_reload_successful mxwatch_config_last_reload_success_timestamp_seconds \
    mxwatch_agentx_connected process_cpu_seconds_total process_resident_memory_bytes \
    process_virtual_memory_bytes process_open_fds process_max_fds process_start_time_seconds; do
    assert_eq 1 "$(grep -c "^# HELP $f " <<<"$m")" "HELP lines of $f"
    assert_eq 1 "$(grep -c "^# TYPE $f " <<<"$m")" "TYPE lines of $f"
done
assert_eq 3 "$(metric_value "$m" 'mxwatch_destinations{origin="config"}')" "configured destinations"
assert_eq 1 "$(metric_value "$m" 'mxwatch_config_last_reload_successful')" "reload flag"
assert_eq 1 "$(metric_value "$m" 'mxwatch_shard_info{shard="0",shards="1"}')" "shard of an agent not sharded"
for d in alpha beta gamma; do
    [ -n "$(metric_value "$m" "mxwatch_destination_up{destination=\"$d.test\"}")" ] ||
        fail "no mxwatch_destination_up for $d.test"
done

head=$(curl -fsS -I "$AGENT_URL/metrics")
assert_contains "$head" "HTTP/1.1 200" "HEAD /metrics"

# ---- gzip, only when asked for ----
hdr=$(curl -fsS -D - -H 'Accept-Encoding: gzip' -o "$T/metrics.gz" "$AGENT_URL/metrics")
assert_contains "$hdr" "Content-Encoding: gzip" "gzip response headers"
gzip -t "$T/metrics.gz" || fail "gzip body does not decompress"
gzip -dc "$T/metrics.gz" | promtool check metrics >/dev/null 2>&1 || fail "gzip body fails promtool"
assert_contains "$(gzip -dc "$T/metrics.gz")" "mxwatch_build_info{" "decompressed metrics"
hdr=$(curl -fsS -D - -o /dev/null -H 'Accept-Encoding: gzip;q=0, identity' "$AGENT_URL/metrics")
assert_not_contains "$hdr" "Content-Encoding" "headers when gzip is refused with q=0"

# ---- JSON API and debug view ----
curl -fsS "$AGENT_URL/api/v1/destinations" >"$T/list.json"
python3 -m json.tool "$T/list.json" >/dev/null || fail "/api/v1/destinations is not JSON"
n=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["destinations"]))' <"$T/list.json")
assert_eq 3 "$n" "destinations in the JSON list"
curl -fsS "$AGENT_URL/api/v1/destinations/BETA.test." >"$T/one.json"
python3 -m json.tool "$T/one.json" >/dev/null || fail "/api/v1/destinations/beta.test is not JSON"
assert_eq beta.test "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["domain"])' <"$T/one.json")" "domain"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$AGENT_URL/api/v1/destinations/nope.test")" "unknown destination"
dbg=$(curl -fsS "$AGENT_URL/debug/destinations/gamma.test")
assert_contains "$dbg" "# destination gamma.test:" "debug view"
assert_contains "$(curl -fsS "$AGENT_URL/")" 'href="/metrics"' "index page"

# ---- health, readiness, reload ----
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$AGENT_URL/-/healthy")" "/-/healthy"
wait_for 30 curl -fsS "$AGENT_URL/-/ready" || fail "/-/ready never became ready"
assert_eq 405 "$(curl -s -o /dev/null -w '%{http_code}' "$AGENT_URL/-/reload")" "GET /-/reload"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$AGENT_URL/no/such/page")" "unknown path"
sed -i 's/  - gamma.test/  - gamma.test\n  - delta.test/' "$T/mxwatch.yml"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$AGENT_URL/-/reload")" "POST /-/reload"
four() { [ "$(metric_value "$(scrape)" 'mxwatch_destinations{origin="config"}')" = 4 ]; }
wait_for 5 four || fail "reload did not add the fourth destination"
echo "destinations: [unclosed" >"$T/mxwatch.yml"
curl -fsS -X POST "$AGENT_URL/-/reload" >/dev/null
refused() { [ "$(metric_value "$(scrape)" mxwatch_config_last_reload_successful)" = 0 ]; }
wait_for 5 refused || fail "a broken config did not clear mxwatch_config_last_reload_successful"
assert_eq 4 "$(metric_value "$(scrape)" 'mxwatch_destinations{origin="config"}')" "destinations kept after a bad reload"

# ---- request body bound (WEB_BODY_MAX, 64 KiB) ----
head -c 100000 /dev/zero >"$T/big"
assert_eq 413 "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$T/big" "$AGENT_URL/-/reload")" "oversized body"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$T/big" "$AGENT_URL/-/reload" || true)
assert_eq 000 "$code" "an oversized chunked body is cut off"
curl -fsS "$AGENT_URL/-/healthy" >/dev/null || fail "agent unhealthy after oversized bodies"

# ---- a client hoarding connections (limit 3 per address, idle timeout 1 s) ----
port=${AGENT_URL##*:}
open_conns() { # N: exactly N client connections to the agent are established
    [ "$(ss -Htn state established "( dport = :$port )" | wc -l)" = "$1" ]
}
wait_for 5 open_conns 0 || fail "earlier connections to the agent linger"
exec 5<>/dev/tcp/127.0.0.1/"$port" 6<>/dev/tcp/127.0.0.1/"$port" 7<>/dev/tcp/127.0.0.1/"$port"
sleep 0.3 # the agent accepts them, and would already have closed any above its limit
open_conns 3 || fail "the agent did not keep the three hoarding connections"
code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$AGENT_URL/-/healthy" || true)
assert_eq 000 "$code" "a fourth connection from the hoarding address"
code=$(curl -s -m 3 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "$AGENT_URL/-/healthy")
assert_eq 200 "$code" "a scraper on another address while one address hoards"
sleep 2.5 # the idle timeout frees the hoarded slots while the client still holds its sockets
code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$AGENT_URL/-/healthy")
assert_eq 200 "$code" "the hoarding address after the idle timeout"
exec 5>&- 6>&- 7>&-

# ---- listeners: IPv6 only, and dual stack ----
listen() { # ADDR: an agent listening there; sets L_PID
    "$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/v6.yml" --web.listen-address="$1" --log.level=debug \
        >>"$T/agent-v6.log" 2>&1 &
    L_PID=$!
    track $L_PID
}
printf 'global: {dns_servers: ["127.0.0.1:9"]}\ndestinations: [alpha.test]\n' >"$T/v6.yml"
p6=$(free_port)
listen "[::1]:$p6"
wait_for 10 curl -fsS -g "http://[::1]:$p6/-/healthy" || fail "no answer on [::1]:$p6"
kill "$L_PID"
pd=$(free_port)
listen ":$pd"
wait_for 10 curl -fsS -g "http://[::1]:$pd/-/healthy" || fail "dual stack: no answer on [::1]:$pd"
curl -fsS "http://127.0.0.1:$pd/-/healthy" >/dev/null || fail "dual stack: no answer on 127.0.0.1:$pd"
kill "$L_PID"
echo "ok: endpoints"
