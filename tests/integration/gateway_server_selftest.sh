#!/usr/bin/env bash
# timeout: 60
# Proves the gateway test server itself (tests/lib/gateway_server.py) with curl, so later
# integration tests can trust it: Basic auth, a certificate clients can verify, every
# misbehaviour mode switched through the state file and the query parameter, concurrent
# requests while one stalls, and a log that names the user but never the password.
. "$(dirname "$0")/../lib/common.sh"
. "$MXW_TOP/tests/lib/gateway.sh"

start_gateway_server --huge-bytes 5000000 --stall-seconds 30
FIX=$GATEWAY_FIXTURES
AUTH=(-u "$GATEWAY_USER:$GATEWAY_PASSWORD")

# get [CURL_ARGS...] URL: body to $T/body, headers to $T/headers; prints the HTTP status.
get() {
    curl -sS --max-time 10 --cacert "$GATEWAY_CA" -o "$T/body" -D "$T/headers" \
        -w '%{http_code}' "$@"
}

note "Basic auth: missing and wrong credentials get 401 with a challenge"
assert_eq 401 "$(get "$GATEWAY_URL")" "status without credentials"
assert_contains "$(cat "$T/headers")" 'WWW-Authenticate: Basic realm="gateway"'
assert_eq 401 "$(get -u "$GATEWAY_USER:wrong" "$GATEWAY_URL")" "status with a wrong password"
assert_eq 401 "$(get -u "intruder:$GATEWAY_PASSWORD" "$GATEWAY_URL")" "status with a wrong user"

note "ok: the fixture byte for byte, over a certificate curl verifies (no -k)"
assert_eq 200 "$(get "${AUTH[@]}" "$GATEWAY_URL")" "status in mode ok"
cmp -s "$T/body" "$FIX/status.xml" || fail "mode ok did not serve status.xml unchanged"
assert_contains "$(cat "$T/headers")" "Content-Type: text/xml"

note "modes from the state file"
for m in 403 500; do
    gateway_mode "$m"
    assert_eq "$m" "$(get "${AUTH[@]}" "$GATEWAY_URL")" "status in mode $m"
done
gateway_mode login
assert_eq 200 "$(get "${AUTH[@]}" "$GATEWAY_URL")" "status in mode login"
cmp -s "$T/body" "$FIX/login.html" || fail "mode login did not serve login.html"
assert_contains "$(cat "$T/headers")" "Content-Type: text/html"
for m in truncated malformed; do
    gateway_mode "$m"
    assert_eq 200 "$(get "${AUTH[@]}" "$GATEWAY_URL")" "status in mode $m"
    cmp -s "$T/body" "$FIX/$m.xml" || fail "mode $m did not serve $m.xml"
done

note "huge: exactly --huge-bytes, starting like the real document"
gateway_mode huge
assert_eq 200 "$(get "${AUTH[@]}" "$GATEWAY_URL")" "status in mode huge"
assert_eq 5000000 "$(stat -c %s "$T/body")" "size of the huge body"
assert_eq "$(head -c 200 "$FIX/status.xml" | md5sum)" "$(head -c 200 "$T/body" | md5sum)" \
    "start of the huge body"
assert_eq "</status>" "$(tail -n 1 "$T/body")" "end of the huge body"

note "redirect: 302 to another host"
gateway_mode redirect
assert_eq 302 "$(get "${AUTH[@]}" "$GATEWAY_URL")" "status in mode redirect"
assert_contains "$(cat "$T/headers")" "Location: https://127.0.0.2:$GATEWAY_PORT/xml/status"

note "cut: the connection closes before the announced length"
gateway_mode cut
rc=0
get "${AUTH[@]}" "$GATEWAY_URL" >/dev/null 2>&1 || rc=$?
assert_eq 18 "$rc" "curl exit code in mode cut (18: partial file)"

note "the query parameter wins over the state file; fixture:NAME serves any fixture"
gateway_mode 500
assert_eq 200 "$(get "${AUTH[@]}" "$GATEWAY_URL?mode=ok")" "status with ?mode=ok"
assert_eq 200 "$(get "${AUTH[@]}" "$GATEWAY_URL?mode=fixture:unknown.xml")" "fixture mode"
cmp -s "$T/body" "$FIX/unknown.xml" || fail "fixture:unknown.xml did not serve unknown.xml"
assert_eq 404 "$(get "${AUTH[@]}" "$GATEWAY_URL?mode=fixture:../../../etc/passwd")" \
    "fixture outside the fixtures dir"
assert_eq 400 "$(get "${AUTH[@]}" "$GATEWAY_URL?mode=bogus")" "unknown mode"
assert_eq 404 "$(get "${AUTH[@]}" "https://127.0.0.1:$GATEWAY_PORT/other")" "other path"

note "stall: headers, then nothing; other clients are still served meanwhile"
gateway_mode stall
start=$(date +%s)
rc=0
curl -sS --max-time 2 --cacert "$GATEWAY_CA" "${AUTH[@]}" -D "$T/stall-headers" \
    -o "$T/stall-body" "$GATEWAY_URL" 2>/dev/null &
stall_pid=$!
sleep 0.5
assert_eq 200 "$(get "${AUTH[@]}" "$GATEWAY_URL?mode=ok")" "status while another stalls"
wait $stall_pid || rc=$?
assert_eq 28 "$rc" "curl exit code in mode stall (28: timed out)"
assert_contains "$(cat "$T/stall-headers")" "HTTP/1.1 200"
assert_contains "$(cat "$T/stall-headers")" "Content-Length: $(stat -c %s "$FIX/status.xml")"
[ ! -s "$T/stall-body" ] || fail "mode stall sent body bytes"
[ $(($(date +%s) - start)) -le 5 ] || fail "the stalled request held the test too long"

note "the log names method, path, user and mode, never the password"
gateway_mode ok
before=$(gateway_requests)
get "${AUTH[@]}" "$GATEWAY_URL" >/dev/null
assert_eq $((before + 1)) "$(gateway_requests)" "requests counted by gateway_requests"
log=$(cat "$GATEWAY_LOG")
size=$(stat -c %s "$FIX/status.xml")
assert_contains "$log" \
    "method=GET path=/xml/status user=$GATEWAY_USER mode=ok status=200 bytes=$size"
assert_contains "$log" "user=- mode=- status=401"
assert_contains "$log" "user=intruder mode=- status=401"
assert_contains "$log" "mode=stall status=200 bytes=0"
assert_not_contains "$log" "$GATEWAY_PASSWORD" "gateway log"
note "all modes behave"
