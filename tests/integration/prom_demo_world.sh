#!/usr/bin/env bash
# prom_demo_world: /metrics and the JSON API of an agent probing the demo world
# (deploy/demo/world.sh). Every family of the agent, per destination and per MX address is
# there with one HELP and one TYPE and the values the world implies; promtool accepts the
# real output, plain and gzipped; the JSON documents parse and carry banners and the
# transcript; banners never reach /metrics. The world configures no MTA source, so the
# MTA families must be absent (they are checked with figures in unit/test_prom).
# timeout: 90
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/world.sh"
WORLD_INTERVAL=6s
start_world
start_agent "$WORLD_CONFIG"

settled() { world_settled "$(scrape)"; }
wait_for 25 settled || fail "the demo world did not settle: $(scrape | grep '^mxwatch_destination_status{')"
scrape >"$T/metrics.txt"
m=$(cat "$T/metrics.txt")
promtool check metrics <"$T/metrics.txt" >"$T/promtool.log" 2>&1 ||
    { cat "$T/promtool.log"; fail "promtool check metrics rejects the demo world's /metrics"; }
curl -fsS -H 'Accept-Encoding: gzip' "$AGENT_URL/metrics" | gzip -dc | promtool check metrics >/dev/null 2>&1 ||
    fail "promtool rejects the gzipped /metrics"

families="mxwatch_destination_up mxwatch_destination_status mxwatch_destination_status_reason_info
mxwatch_destination_status_change_timestamp_seconds mxwatch_destination_mx_records
mxwatch_dns_lookup_duration_seconds mxwatch_dns_ttl_seconds mxwatch_probes_total
mxwatch_last_probe_timestamp_seconds mxwatch_mx_up mxwatch_smtp_connect_duration_seconds
mxwatch_smtp_banner_duration_seconds mxwatch_smtp_ehlo_duration_seconds
mxwatch_smtp_starttls_offered mxwatch_tls_handshake_duration_seconds
mxwatch_tls_cert_expiry_timestamp_seconds mxwatch_tls_version_info mxwatch_build_info
mxwatch_destinations mxwatch_probes_in_flight mxwatch_probe_loop_lag_seconds
mxwatch_config_last_reload_successful mxwatch_config_last_reload_success_timestamp_seconds
mxwatch_agentx_connected mxwatch_delivernow_total process_cpu_seconds_total process_open_fds
process_max_fds process_virtual_memory_bytes process_virtual_memory_max_bytes
process_resident_memory_bytes process_start_time_seconds"
for f in $families; do
    assert_eq 1 "$(grep -c "^# HELP $f " <<<"$m")" "HELP lines of $f"
    assert_eq 1 "$(grep -c "^# TYPE $f " <<<"$m")" "TYPE lines of $f"
    grep -q "^$f[{ ]" <<<"$m" || fail "no sample of $f"
done
for f in mxwatch_active_recipients mxwatch_outbound_connections mxwatch_source_up \
    mxwatch_hard_bounced_recipients_total; do
    assert_not_contains "$m" "$f" "/metrics without a configured MTA source"
done

v() { metric_value "$m" "$1"; }
a1='destination="alpha.test",mx="mx1.alpha.test",address="127.0.0.11",preference="10"'
a2='destination="alpha.test",mx="mx2.alpha.test",address="127.0.0.12",preference="20"'
r='destination="refused.test",mx="mx.refused.test",address="127.0.0.14",preference="10"'
s='destination="silent.test",mx="mx.silent.test",address="127.0.0.15",preference="10"'
assert_eq 1 "$(v "mxwatch_mx_up{$a1}")" "mx1.alpha.test up"
assert_eq 1 "$(v "mxwatch_mx_up{$a2}")" "mx2.alpha.test up"
assert_eq 0 "$(v "mxwatch_mx_up{$r}")" "mx.refused.test up"
assert_eq 0 "$(v "mxwatch_mx_up{$s}")" "mx.silent.test up"
[ -n "$(v "mxwatch_smtp_connect_duration_seconds{$a1}")" ] || fail "no connect time for mx1.alpha.test"
[ -n "$(v "mxwatch_smtp_banner_duration_seconds{$a1}")" ] || fail "no banner time for mx1.alpha.test"
[ -n "$(v "mxwatch_tls_handshake_duration_seconds{$a1}")" ] || fail "no TLS time for mx1.alpha.test"
[ -n "$(v "mxwatch_smtp_connect_duration_seconds{$s}")" ] || fail "no connect time for the silent MX"
[ -z "$(v "mxwatch_smtp_banner_duration_seconds{$s}")" ] || fail "a banner time for an MX that sent none"
[ -z "$(v "mxwatch_smtp_connect_duration_seconds{$r}")" ] || fail "a connect time for a refused connection"
# The world's certificate is valid for 30 days.
expiry=$(v "mxwatch_tls_cert_expiry_timestamp_seconds{$a1}")
now=$(date +%s)
awk -v e="$expiry" -v n="$now" 'BEGIN { d = (e - n) / 86400; exit !(d > 28 && d < 31) }' ||
    fail "certificate expiry $expiry is not about 30 days after $now"
assert_eq 1 "$(v 'mxwatch_destination_status_reason_info{destination="nullmx.test",reason="null_mx"}')" "null MX reason"
assert_eq 0 "$(v 'mxwatch_destination_mx_records{destination="nxdomain.test"}')" "MX records of a missing domain"
[ "$(v 'mxwatch_probes_total{destination="refused.test",result="refused"}')" -ge 1 ] || fail "refused probes not counted"
[ -n "$(v 'mxwatch_destination_status_change_timestamp_seconds{destination="beta.test"}')" ] ||
    fail "no status change time for beta.test"
assert_eq "$(wc -w <<<"$WORLD_DOMAINS")" "$(v 'mxwatch_destinations{origin="config"}')" "configured destinations"
assert_not_contains "$m" "mx.test ESMTP" "/metrics (banner text)"

# The JSON API knows the banners and the conversation, and the documents parse.
curl -fsS "$AGENT_URL/api/v1/destinations" >"$T/list.json"
python3 -m json.tool "$T/list.json" >/dev/null || fail "the list is not JSON"
curl -fsS "$AGENT_URL/api/v1/destinations/alpha.test" >"$T/alpha.json"
python3 -m json.tool "$T/alpha.json" >/dev/null || fail "alpha.test is not JSON"
python3 - "$T/alpha.json" <<'EOP' || fail "alpha.test JSON lacks what the agent knows"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "up", d["status"]
mx = {h["name"]: h for h in d["mx"]}
a = mx["mx1.alpha.test"]["addresses"][0]
assert a["banner"].startswith("220 "), a["banner"]
assert a["starttls_offered"] and a["tls_version"] == "TLSv1.3", a
assert any("PIPELINING" in line for line in a["ehlo"]), a["ehlo"]  # the reply over TLS
assert d["transcript"] and "EHLO" in d["transcript"], d["transcript"]
assert len(d["history"]) >= 1
EOP
dbg=$(curl -fsS "$AGENT_URL/debug/destinations/silent.test")
assert_contains "$dbg" "# destination silent.test: down (banner_timeout)" "debug view of silent.test"
echo "ok: demo world families"
