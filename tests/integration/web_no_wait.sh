#!/usr/bin/env bash
# timeout: 60
# The HTTP thread never waits on the loop (issue #11): with the loop thread stuck (its
# stderr is a one-page pipe nobody reads, so its next log line blocks in write), a
# delivernow POST is answered 202 with a job id at once, the job reads back as queued, a
# scrape and /-/reload still answer; once the loop runs again it takes the job, a request
# it refuses (here: no MTA configured) shows as a failed job saying why, and the 50 reloads
# asked for meanwhile fold into at most two.
source "$(dirname "$0")/../lib/common.sh"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/token"
TOKEN=$(cat "$T/token")
cat >"$T/agent.yml" <<EOC
web:
  delivernow:
    enabled: true
    token_file: $T/token
snmp: {enabled: false}
EOC
port=$(free_port)
URL=http://127.0.0.1:$port
python3 "$MXW_TOP/tests/lib/stall_pipe.py" "$T/agent.log" "$T/agent.pid" \
    "$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/agent.yml" --web.listen-address="127.0.0.1:$port" \
    --log.level=debug --web.enable-lifecycle &
helper=$!
track $helper
wait_for 10 test -s "$T/agent.pid" || fail "the agent did not start"
pid=$(cat "$T/agent.pid")
track "$pid"
wait_for 10 curl -fsS "$URL/-/healthy" || fail "agent did not come up"

# Each refused delivernow request makes the loop log a line; a page of them fills the pipe.
H=(-H "Authorization: Bearer $TOKEN" -H 'X-Mxwatch-Request: 1' -H 'Content-Type: application/json')
stuck() { [[ "$(cat "/proc/$pid/wchan" 2>/dev/null)" == *pipe_write ]]; }
for _ in $(seq 1 200); do
    stuck && break
    curl -sS --max-time 2 -o /dev/null -X POST "${H[@]}" --data '{"all":true}' "$URL/api/v1/delivernow"
    sleep 0.02
done
wait_for 5 stuck || fail "the loop thread never blocked on its log pipe (wchan $(cat /proc/$pid/wchan))"
note "loop thread stuck in $(cat "/proc/$pid/wchan")"

start=$EPOCHREALTIME
code=$(curl -sS --max-time 5 -o "$T/post.out" -w '%{http_code}' -X POST "${H[@]}" \
    --data '{"destination":"a.test"}' "$URL/api/v1/delivernow")
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
assert_eq 202 "$code" "POST delivernow while the loop is stuck ($(cat "$T/post.out"))"
[ "$took" -lt 500 ] || fail "POST delivernow took ${took} ms while the loop was stuck"
assert_contains "$(cat "$T/post.out")" '"state":"queued"' "the accepted job"
id=$(grep -o '"id":[0-9]*' "$T/post.out" | head -1 | cut -d: -f2)
job=$(curl -fsS --max-time 2 -H "Authorization: Bearer $TOKEN" "$URL/api/v1/delivernow/$id")
assert_contains "$job" '"state":"queued"' "job $id read back while the loop is stuck"
metrics=$(curl -fsS --max-time 2 "$URL/metrics") || fail "no scrape while the loop is stuck"
assert_contains "$metrics" 'mxwatch_build_info' "the scrape while the loop is stuck"
for _ in $(seq 1 50); do
    code=$(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" "$URL/-/reload")
    assert_eq 200 "$code" "POST /-/reload while the loop is stuck"
done
stuck || fail "the loop came unstuck before the checks ended: the test proved nothing"

kill -USR1 $helper # drain the pipe: the loop runs again
failed() { curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/v1/delivernow/$id" | grep -q '"state":"failed"'; }
wait_for 10 failed || fail "job $id never failed: $(curl -sS -H "Authorization: Bearer $TOKEN" "$URL/api/v1/delivernow/$id")"
job=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/v1/delivernow/$id")
assert_contains "$job" 'no MTA to ask' "the refused job's error"
# 50 reload requests while stuck: one reload runs, one more is remembered, the rest fold in.
wait_for 10 grep -q 'msg="reloaded"' "$T/agent.log" || fail "no reload after the loop came back"
sleep 1
n=$(grep -c 'msg="reloaded"' "$T/agent.log")
note "$n reloads for 50 requests"
[ "$n" -le 2 ] || fail "$n reloads ran for 50 requests made while one was pending"
note "job $id: $job"
echo "ok"
