#!/usr/bin/env bash
# web_lifecycle: POST /-/reload is a lifecycle endpoint as in Prometheus. Without
# --web.enable-lifecycle it is refused (403, "Lifecycle API is not enabled") and SIGHUP
# still reloads; with it and no auth a plain `curl -X POST` reloads; with basic auth only
# an admin user does (another user gets 403); a cross-site form POST (Origin of another
# site, Sec-Fetch-Site: cross-site, or a form body) is refused; 2,000 POSTs make at most
# two reloads (one running, one remembered, at most one start a second).
# timeout: 90
source "$(dirname "$0")/../lib/common.sh"

command -v mkpasswd >/dev/null || fail "mkpasswd missing (package whois, tests/lib/deps.sh)"
printf 'snmp: {enabled: false}\n' >"$T/plain.yml"
code() { curl -sS --max-time 5 -o "$T/body" -w '%{http_code}' "$@" || true; }
stop_agent() { kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; }
reloads() { grep -c 'msg="reloaded"' "$T/agent.log" || true; }

note "off by default"
start_agent "$T/plain.yml"
assert_eq 403 "$(code -X POST "$AGENT_URL/-/reload")" "POST /-/reload without the flag"
assert_contains "$(cat "$T/body")" "Lifecycle API is not enabled" "the refusal"
kill -HUP "$AGENT_PID"
wait_for 5 grep -q 'msg="reloaded"' "$T/agent.log" || fail "SIGHUP did not reload"
stop_agent
: >"$T/agent.log"

note "on, no auth: a plain curl -X POST reloads; cross-site requests do not"
start_agent "$T/plain.yml" --web.enable-lifecycle
assert_eq 200 "$(code -X POST "$AGENT_URL/-/reload")" "curl -X POST /-/reload"
wait_for 5 grep -q 'msg="reloaded"' "$T/agent.log" || fail "the POST did not reload"
assert_eq 200 "$(code -X PUT "$AGENT_URL/-/reload")" "PUT /-/reload"
host=${AGENT_URL#http://}
assert_eq 200 "$(code -X POST -H "Origin: http://$host" -H 'Sec-Fetch-Site: same-origin' "$AGENT_URL/-/reload")" "same-origin POST"
assert_eq 403 "$(code -X POST -H 'Origin: http://evil.test' --data 'x=1' "$AGENT_URL/-/reload")" "cross-site form POST (Origin)"
assert_eq 403 "$(code -X POST -H 'Sec-Fetch-Site: cross-site' "$AGENT_URL/-/reload")" "cross-site POST (Sec-Fetch-Site)"
assert_eq 415 "$(code -X POST --data 'x=1' "$AGENT_URL/-/reload")" "form body without Origin"
assert_eq 415 "$(code -X POST -H 'Content-Type: text/plain' --data 'x' "$AGENT_URL/-/reload")" "text/plain body"

note "2,000 POSTs"
sleep 1.2 # the last reload's second is over
before=$(reloads)
urls=()
for _ in $(seq 1 2000); do urls+=("$AGENT_URL/-/reload"); done
start=$EPOCHREALTIME
curl -sS --max-time 60 -o /dev/null -w '%{http_code}\n' -X POST "${urls[@]}" >"$T/codes"
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
assert_eq 2000 "$(grep -c '^200$' "$T/codes")" "answers 200 to the 2,000 POSTs"
sleep 2.5
n=$(($(reloads) - before))
note "$n reloads for 2,000 POSTs in ${took} s"
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "$n reloads for 2,000 POSTs (want 1 or 2)"
stop_agent

note "on, with basic auth: the admin role only"
hash_a=$(mkpasswd -m bcrypt -R 5 'alice pass')
hash_b=$(mkpasswd -m bcrypt -R 5 'bob pass')
printf 'basic_auth_users:\n  alice: %s\n  bob: %s\n' "$hash_a" "$hash_b" >"$T/web.yml"
printf 'snmp: {enabled: false}\nweb:\n  config_file: %s\n  delivernow:\n    admin_users: [alice]\n' \
    "$T/web.yml" >"$T/auth.yml"
port=$(free_port)
AGENT_URL=http://127.0.0.1:$port
"$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/auth.yml" --web.listen-address="127.0.0.1:$port" \
    --web.enable-lifecycle >>"$T/agent.log" 2>&1 &
track $!
wait_for 10 curl -fsS -u 'alice:alice pass' "$AGENT_URL/-/healthy" || fail "agent did not come up"
assert_eq 401 "$(code -X POST "$AGENT_URL/-/reload")" "no credentials"
assert_eq 403 "$(code -X POST -u 'bob:bob pass' "$AGENT_URL/-/reload")" "a user without the admin role"
assert_eq 200 "$(code -X POST -u 'alice:alice pass' "$AGENT_URL/-/reload")" "an admin user"
echo "ok"
