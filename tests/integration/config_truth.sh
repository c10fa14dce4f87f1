#!/usr/bin/env bash
# timeout: 60
# config_truth: `run`, `mxwatch check-config` and a reload refuse the same things, from one
# set of checks. Each value that used to pass check-config (and a reload, reported as a
# success) and fail only when `run` started a part is refused by all three now: a DNS server
# that is not an address, a listen address with a host name, a web config file or a
# delivernow token file that cannot be read, an admin user unknown to the web config.
source "$(dirname "$0")/../lib/common.sh"

good() {
    printf 'global:\n  dns_servers: ["127.0.0.1:9"]\n  probe_interval: 10s\n'
    printf 'destinations: [a.test]\nsnmp: {enabled: false}\n'
}
good >"$T/good.yml"
out=$("$MXWATCH" check-config "$T/good.yml") || fail "check-config refused a good file: $out"

refused() { # NAME EXPECTED-MESSAGE-PART: check-config exits 1 naming the fault
    local rc=0 out
    out=$("$MXWATCH" check-config "$T/$1.yml" 2>&1) || rc=$?
    assert_eq 1 "$rc" "check-config exit status for $1"
    assert_contains "$out" "$2" "check-config on $1"
}
printf 'global:\n  dns_servers: [bogus]\n' >"$T/dns.yml"
refused dns "dns.yml:2:17: global.dns_servers[0]: 'bogus' is not ip, ip:port or [ipv6]:port"
printf 'web:\n  listen_address: "www.example:9725"\n' >"$T/listen.yml"
refused listen "web.listen_address: 'www.example:9725' names a host that is not an IP address"
printf 'web:\n  config_file: %s/missing-web.yml\n' "$T" >"$T/webfile.yml"
refused webfile "missing-web.yml: cannot open"
printf 'web:\n  delivernow:\n    enabled: true\n    token_file: %s/missing.token\n' "$T" >"$T/token.yml"
refused token "web.delivernow.token_file $T/missing.token: cannot open"
printf 'web:\n  delivernow:\n    enabled: true\n    admin_users: [mallory]\n' >"$T/admin.yml"
refused admin "web.delivernow.admin_users: 'mallory' is not a basic_auth user"

note "run refuses the same values, from the file and from its flags"
rc=0
out=$("$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/token.yml" --web.listen-address=127.0.0.1:0 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "run started with an unreadable token file"
assert_contains "$out" "missing.token: cannot open" "run's refusal"
rc=0
out=$("$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/good.yml" --dns.server=bogus 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "run started with --dns.server=bogus"
assert_contains "$out" "--dns.server: 'bogus' is not ip, ip:port or [ipv6]:port" "run's refusal of a flag"

note "a reload refuses them too, and says so in mxwatch_config_last_reload_successful"
cp "$T/good.yml" "$T/agent.yml"
start_agent "$T/agent.yml"
reload_ok() { [ "$(metric_value "$(scrape)" mxwatch_config_last_reload_successful)" = "$1" ]; }
for bad in dns webfile token; do
    cp "$T/$bad.yml" "$T/agent.yml"
    kill -HUP "$AGENT_PID"
    wait_for 5 reload_ok 0 || fail "a reload with the $bad fault reported success"
    cp "$T/good.yml" "$T/agent.yml"
    kill -HUP "$AGENT_PID"
    wait_for 5 reload_ok 1 || fail "the good file after the $bad fault did not reload"
done
grep -q "reload rejected.*missing.token: cannot open" "$T/agent.log" || fail "the token fault is not in the log"
echo "ok"
