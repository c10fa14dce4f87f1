#!/usr/bin/env bash
# delivernow_postfix: the remedy against a real, private Postfix (tests/lib/postfix.sh).
# Mail to a.test, b.test and c.test is deferred (nothing listens) and Postfix is told to
# wait an hour before retrying by itself. Then a.test's and c.test's servers come up.
#  - Refusals touch nothing: no credentials (401), a user without the admin role, a
#    request without the custom header, a cross-site form post, a foreign Origin, a wrong
#    token; with no basic auth configured, a request without credentials is a 403.
#  - `mxwatch delivernow a.test` (admin user from --auth.file) reschedules exactly a.test's
#    deferred messages (postqueue -i), which are then delivered; c.test's stay deferred.
#  - b.test's server comes up: its status goes down -> up, retry on recovery runs
#    delivernow for it, and its message is delivered; c.test's still waits.
#  - Every use is logged with who and what; mxwatch_delivernow_total counts by trigger.
#  - Last, in chromium (tests/browser/retry.cjs), alice's "Retry delivery" on c.test's page
#    sends c.test's message on its way and shows the result.
# timeout: 150
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/postfix.sh"
command -v mkpasswd >/dev/null || fail "mkpasswd missing (package whois, tests/lib/deps.sh)"

P=$(free_port)
dns=$(free_port)
cat >"$T/zone.conf" <<EOZ
mx-host=a.test,mx.a.test,10
host-record=mx.a.test,127.0.0.41
mx-host=b.test,mx.b.test,10
host-record=mx.b.test,127.0.0.42
mx-host=c.test,mx.c.test,10
host-record=mx.c.test,127.0.0.43
EOZ
start_dnsmasq "$dns" "$T/zone.conf"
start_postfix "$T/pf" "a.test=smtp:[127.0.0.41]:$P b.test=smtp:[127.0.0.42]:$P c.test=smtp:[127.0.0.43]:$P" \
    "queue_run_delay = 1h
minimal_backoff_time = 1h
maximal_backoff_time = 1h"

pf_send s@x.test u1@a.test
pf_send s@x.test u2@a.test
pf_send s@x.test u3@b.test
pf_send s@x.test u4@c.test
deferred() { # COUNT: that many messages, all in the deferred queue
    local q
    q=$(pf_queue_json)
    [ "$(grep -c '"queue_name": "deferred"' <<<"$q")" -eq "$1" ] && [ "$(grep -c . <<<"$q")" -eq "$1" ]
}
wait_for 20 deferred 4 || fail "the four messages were not deferred: $(pf_queue_json)"
queued_for() { pf_queue_json | grep -c "@$1\"" || true; }

# a.test's and c.test's servers are up before the agent starts (no down -> up for them).
start_smtpd --log "$T/sinks-events.log" --listen "127.0.0.41:$P=ok" --listen "127.0.0.43:$P=ok"
wait_tcp 127.0.0.41 "$P"

alice_pw='alice horse battery'
bob_pw='bob horse battery'
TOKEN=$(openssl rand -hex 24)
printf '%s\n' "$TOKEN" >"$T/token"
cat >"$T/web.yml" <<EOW
basic_auth_users:
  alice: $(mkpasswd -m bcrypt -R 8 "$alice_pw")
  bob: $(mkpasswd -m bcrypt -R 8 "$bob_pw")
EOW
printf 'username: alice\npassword: %s\n' "$alice_pw" >"$T/alice.auth"
write_config() { # FILE WEBCONFIG_LINE ADMIN_LINE
    cat >"$1" <<EOC
global:
  probe_interval: 2s
  down_after: 1
  dns_servers: ["127.0.0.1:$dns"]
  smtp_port: $P
  connect_timeout: 1s
  banner_timeout: 2s
  total_timeout: 4s
  starttls: never
destinations: [a.test, b.test, c.test]
web:
  $2
  delivernow:
    enabled: true
    $3
    token_file: $T/token
    retry_on_recovery: true
    retry_min_interval: 1h
snmp: {enabled: false}
sources:
  postfix:
    enabled: true
    config_directory: $PF_CONF
    postqueue: $(command -v postqueue)
    queue_interval: 1s
    log_file: $PF_LOG
    state_file: $T/pflog.state
EOC
}
write_config "$T/agent.yml" "config_file: $T/web.yml" "admin_users: [alice]"
port=$(free_port)
URL=http://127.0.0.1:$port
"$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/agent.yml" --web.listen-address="127.0.0.1:$port" \
    --log.level=debug >>"$T/agent.log" 2>&1 &
track $!
A=(-u "alice:$alice_pw")
wait_for 10 curl -fsS "${A[@]}" "$URL/-/healthy" || fail "agent did not come up"
status_of() { curl -fsS "${A[@]}" "$URL/api/v1/destinations/$1" | grep -o '"status":"[a-z]*"' | head -1 | cut -d'"' -f4; }
settled() { [ "$(status_of a.test)" = up ] && [ "$(status_of c.test)" = up ] && [ "$(status_of b.test)" = down ]; }
wait_for 20 settled || fail "expected a.test and c.test up, b.test down: $(status_of a.test) $(status_of c.test) $(status_of b.test)"

# ---- refusals: none of them may touch the queue ----
post() { # expected-status curl-args...: POST a retry of a.test
    local want=$1 got
    shift
    got=$(curl -sS -o "$T/post.out" -w '%{http_code}' -X POST "$@" "$URL/api/v1/delivernow")
    [ "$got" = "$want" ] || fail "POST $* answered $got, expected $want: $(cat "$T/post.out")"
}
J=(-H 'Content-Type: application/json' --data '{"destination":"a.test"}')
post 401 -H 'X-Mxwatch-Request: 1' "${J[@]}"
post 403 -u "bob:$bob_pw" -H 'X-Mxwatch-Request: 1' "${J[@]}"
assert_contains "$(cat "$T/post.out")" "admin_users" "bob's refusal"
post 403 "${A[@]}" "${J[@]}"
assert_contains "$(cat "$T/post.out")" "X-Mxwatch-Request" "the refusal without the custom header"
post 403 "${A[@]}" -H 'Origin: http://evil.example' -H 'Content-Type: application/x-www-form-urlencoded' \
    --data 'destination=a.test'
post 403 "${A[@]}" -H 'X-Mxwatch-Request: 1' -H 'Origin: http://evil.example' "${J[@]}"
post 403 "${A[@]}" -H 'X-Mxwatch-Request: 1' -H 'Sec-Fetch-Site: cross-site' "${J[@]}"
post 415 "${A[@]}" -H 'X-Mxwatch-Request: 1' -H 'Content-Type: text/plain' --data '{"destination":"a.test"}'
post 401 -H "Authorization: Bearer wrong-$TOKEN" -H 'X-Mxwatch-Request: 1' "${J[@]}"
post 400 "${A[@]}" -H 'X-Mxwatch-Request: 1' -H 'Content-Type: application/json' --data '{"destination":"a b"}'
assert_contains "$(cat "$T/post.out")" "not a valid domain name" "the refusal of a bad name"
deferred 4 || fail "a refused request changed the queue: $(pf_queue_json)"
grep -q 'subsys=delivernow msg="refused" who=bob status=403' "$T/agent.log" || fail "bob's refusal is not logged"

# ---- by hand: exactly a.test's deferred messages ----
out=$("$MXWATCH" delivernow --url="$URL" --auth.file="$T/alice.auth" a.test) ||
    fail "mxwatch delivernow a.test failed ($?): $out"
assert_contains "$out" "a.test: 2 of 2 deferred messages scheduled for delivery now (job 1)" "delivernow's output"
a_gone() { [ "$(queued_for a.test)" -eq 0 ]; }
wait_for 20 a_gone || fail "a.test's messages were not delivered: $(pf_queue_json)"
grep -q 'to=<u1@a.test>.*status=sent' "$PF_LOG" || fail "no delivery of u1@a.test in the Postfix log"
grep -q 'to=<u2@a.test>.*status=sent' "$PF_LOG" || fail "no delivery of u2@a.test in the Postfix log"
assert_eq 1 "$(queued_for c.test)" "c.test's messages still queued"
grep -q '"queue_name": "deferred".*u4@c.test' <<<"$(pf_queue_json)" || fail "c.test's message is no longer deferred"
grep -q 'subsys=delivernow msg="requested" job=1 trigger=manual who=alice destination=a.test' "$T/agent.log" ||
    fail "the manual retry is not logged with who and what"
job=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/v1/delivernow/1")
assert_contains "$job" '"state":"done"' "job 1 through the token"
assert_contains "$job" '"messages":2,"rescheduled":2,"failed":0' "job 1's figures"

# ---- retry on recovery: b.test's server comes up ----
start_smtpd --listen "127.0.0.42:$P=ok"
b_gone() { [ "$(queued_for b.test)" -eq 0 ]; }
wait_for 30 b_gone || fail "b.test's message was not retried on recovery: $(pf_queue_json)"
grep -q 'to=<u3@b.test>.*status=sent' "$PF_LOG" || fail "no delivery of u3@b.test in the Postfix log"
grep -q 'trigger=recovery who=recovery destination=b.test' "$T/agent.log" || fail "the recovery retry is not logged"
counted() { # the next snapshot (published every 250 ms) has both counts
    local m
    m=$(curl -fsS "${A[@]}" "$URL/metrics")
    [ "$(metric_value "$m" 'mxwatch_delivernow_total{trigger="manual"}')" = 1 ] &&
        [ "$(metric_value "$m" 'mxwatch_delivernow_total{trigger="recovery"}')" = 1 ]
}
wait_for 5 counted || fail "mxwatch_delivernow_total: $(curl -fsS "${A[@]}" "$URL/metrics" | grep delivernow_total)"
grep -q '"queue_name": "deferred".*u4@c.test' <<<"$(pf_queue_json)" || fail "c.test's message was touched"
! grep -q 'to=<u4@c.test>.*status=sent' "$PF_LOG" || fail "c.test's message was delivered, but nobody retried it"

# ---- the CLI's figures, from the Postfix queue source, as the API has them ----
c_active() { # the CLI's table and the JSON API both say c.test has 1 active recipient
    local row api
    row=$("$MXWATCH" tophosts --url="$URL" --auth.file="$T/alice.auth" | grep ' c.test ') || return 1
    api=$(curl -fsS "${A[@]}" "$URL/api/v1/tophosts?q=c.test")
    [ "$(awk '{print $3}' <<<"$row")" = 1 ] && grep -q '"domain":"c.test".*"active":1,' <<<"$api"
}
wait_for 10 c_active || fail "tophosts does not show c.test's waiting recipient: $("$MXWATCH" tophosts --url="$URL" --auth.file="$T/alice.auth")"
out=$("$MXWATCH" hoststatus --url="$URL" --auth.file="$T/alice.auth" c.test)
grep -qE '^    Active Recipients +1$' <<<"$out" || fail "hoststatus c.test: $out"
grep -qE '^    Attempted Recipients +1$' <<<"$out" || fail "hoststatus c.test: $out"

# ---- the Retry button, in a browser ----
export NODE_PATH=$MXW_TOP/.cache/npm/node_modules
OUT=${MXW_TEST_OUT:-$T}/delivernow_postfix
mkdir -p "$OUT"
node "$MXW_TOP/tests/browser/retry.cjs" "$URL" alice "$alice_pw" c.test "$OUT" 2>&1 | tee "$T/browser.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "the Retry button did not work in the browser"
c_gone() { [ "$(queued_for c.test)" -eq 0 ]; }
wait_for 20 c_gone || fail "c.test's message was not retried from the page: $(pf_queue_json)"
grep -q 'trigger=manual who=alice destination=c.test' "$T/agent.log" || fail "the page's retry is not logged"

# ---- without basic auth: no credentials is a 403, the token is enough ----
write_config "$T/agent2.yml" "" ""
port2=$(free_port)
"$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/agent2.yml" --web.listen-address="127.0.0.1:$port2" >>"$T/agent2.log" 2>&1 &
track $!
wait_for 10 curl -fsS "http://127.0.0.1:$port2/-/healthy" || fail "second agent did not come up"
URL=http://127.0.0.1:$port2
post 403 -H 'X-Mxwatch-Request: 1' "${J[@]}"
post 202 -H "Authorization: Bearer $TOKEN" -H 'X-Mxwatch-Request: 1' "${J[@]}"
page=$(curl -fsS "$URL/")
assert_not_contains "$page" "Retry all delivery" "the page for a reader without the admin role"
page=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/destinations/a.test")
assert_contains "$page" 'data-retry="a.test"' "the detail page for the token holder"
