#!/usr/bin/env bash
# timeout: 60
# probe_reload: SIGHUP with one destination added and one removed: the new one is probed,
# the old one leaves /metrics, the kept one's mxwatch_probes_total continues from where it
# was, and a changed setting of the kept one applies from its next probe. A bad file on
# reload keeps the running configuration and sets mxwatch_config_last_reload_successful 0;
# `mxwatch check-config` names a misspelt key's line (exit 1) and passes a good file (0).
# A reshard on reload (global.shard 0/2) keeps the destination of shard 0 with its counters
# and hands the one of shard 1 over: it leaves /metrics.
source "$(dirname "$0")/../lib/common.sh"

DNS_PORT=$(free_port)
P=$(free_port)
DEAD_PORT=$(free_port)
cat >"$T/zone.conf" <<EOZ
mx-host=keep.test,mx.reload.test,10
mx-host=old.test,mx.reload.test,10
mx-host=new.test,mx.reload.test,10
host-record=mx.reload.test,127.0.5.1
EOZ
start_dnsmasq "$DNS_PORT" "$T/zone.conf"
start_smtpd --hostname mx.reload.test --listen "127.0.5.1:$P=ok"
wait_tcp 127.0.5.1 "$P"

write_config() { # write_config DESTINATION_LINES...
    {
        printf 'global:\n  probe_interval: 1s\n  dns_servers: ["127.0.0.1:%s"]\n' "$DNS_PORT"
        printf '  smtp_port: %s\n  connect_timeout: 1s\n  banner_timeout: 1s\n' "$P"
        printf '  total_timeout: 3s\n'
        [ -z "${SHARD:-}" ] || printf '  shard: %s\n' "$SHARD"
        printf 'destinations:\n'
        printf '  - %s\n' "$@"
        printf 'snmp:\n  enabled: false\n'
    } >"$T/agent.yml"
}
count() { # count METRICS DOMAIN RESULT
    local v
    v=$(metric_value "$1" "mxwatch_probes_total{destination=\"$2\",result=\"$3\"}")
    echo "${v:-0}"
}
probed() { [ "$(count "$(scrape)" "$1" "$2")" -ge "$3" ]; }

write_config keep.test old.test
start_agent "$T/agent.yml"
wait_for 10 probed keep.test ok 2 || fail "keep.test not probed twice"
wait_for 5 probed old.test ok 1 || fail "old.test not probed"

note "check-config: a good file passes, a misspelt key is named at its line"
out=$("$MXWATCH" check-config "$T/agent.yml") || fail "check-config rejected a good file: $out"
assert_contains "$out" "ok (2 destinations" "check-config output"
sed 's/^  probe_interval: 1s$/  probe_intervall: 1s/' "$T/agent.yml" >"$T/typo.yml"
rc=0
out=$("$MXWATCH" check-config "$T/typo.yml" 2>&1) || rc=$?
assert_eq 1 "$rc" "check-config exit status for a misspelt key"
assert_eq "$T/typo.yml:2:3: global.probe_intervall: unknown key" "$out" "check-config message"

note "SIGHUP: old.test removed, new.test added, keep.test kept"
kept=$(count "$(scrape)" keep.test ok)
write_config keep.test new.test
kill -HUP "$AGENT_PID"
wait_for 5 probed new.test ok 1 || fail "new.test not probed after the reload"
m=$(scrape)
assert_not_contains "$m" 'destination="old.test"' "/metrics after old.test was removed"
[ "$(count "$m" keep.test ok)" -ge "$kept" ] || fail "keep.test's counter went back: $kept -> $(count "$m" keep.test ok)"
wait_for 5 probed keep.test ok $((kept + 2)) || fail "keep.test's counter did not continue from $kept"
assert_eq 1 "$(metric_value "$m" mxwatch_config_last_reload_successful)" "reload successful"
grep -q 'msg="destinations removed" count=1' "$T/agent.log" || fail "removal not logged"

note "a changed setting of a kept destination applies from its next probe"
write_config keep.test "{domain: new.test, smtp_port: $DEAD_PORT}"
kill -HUP "$AGENT_PID"
wait_for 5 probed new.test refused 1 || fail "new.test's new port not used after the reload"
assert_eq 0 "$(count "$(scrape)" keep.test refused)" "keep.test refused probes"

note "a bad file on reload keeps the running configuration"
good_new=$(count "$(scrape)" new.test refused)
printf 'global:\n  probe_interval: soon\ndestinations: [other.test]\n' >"$T/agent.yml"
kill -HUP "$AGENT_PID"
reload_failed() { [ "$(metric_value "$(scrape)" mxwatch_config_last_reload_successful)" = 0 ]; }
wait_for 5 reload_failed || fail "mxwatch_config_last_reload_successful did not become 0"
grep -q 'reload rejected, keeping the running configuration' "$T/agent.log" || fail "rejection not logged"
grep -q "agent.yml:2:19: global.probe_interval: bad duration" "$T/agent.log" || fail "the fault is not named in the log"
wait_for 5 probed new.test refused $((good_new + 2)) || fail "new.test no longer probed after a bad reload"
m=$(scrape)
assert_not_contains "$m" 'destination="other.test"' "/metrics after a rejected reload"
assert_contains "$m" 'destination="keep.test"' "/metrics after a rejected reload"

note "reshard on reload: shard 0 of 2 owns keep.test, not new.test (docs/SCALING.md's rule)"
kept=$(count "$(scrape)" keep.test ok)
SHARD=0/2 write_config keep.test new.test
kill -HUP "$AGENT_PID"
resharded() { [ "$(metric_value "$(scrape)" 'mxwatch_shard_info{shard="0",shards="2"}')" = 1 ]; }
wait_for 5 resharded || fail "mxwatch_shard_info does not say shard 0 of 2 after the reload"
m=$(scrape)
assert_not_contains "$m" 'destination="new.test"' "/metrics of shard 0/2"
assert_eq 1 "$(metric_value "$m" 'mxwatch_destinations{origin="config"}')" "destinations of shard 0/2"
wait_for 5 probed keep.test ok $((kept + 2)) || fail "keep.test's counter did not continue after the reshard"
grep -q 'msg="shard owns" destinations=1 of=2 shard=0/2' "$T/agent.log" || fail "the shard's share is not logged"
