#!/usr/bin/env bash
# web_http_edges: requests whose length is ambiguous (two Content-Length headers that
# disagree, or one beside Transfer-Encoding) get 400 and a closed connection, so a body
# cannot be smuggled in as a second request (libmicrohttpd 0.9.75 took the first length and
# read the rest as the next request); the Host check against DNS rebinding: on by default
# for a loopback listener (localhost, 127.0.0.1, [::1] with the port: 421 for another name),
# web.allowed_hosts replaces that list ("*": any), and a listener on every address checks
# nothing unless configured; check-config refuses a bad entry.
# timeout: 60
source "$(dirname "$0")/../lib/common.sh"

printf 'snmp: {enabled: false}\n' >"$T/plain.yml"
start_agent "$T/plain.yml" --web.enable-lifecycle
port=${AGENT_URL##*:}
raw() { # REQUEST (with \r\n escapes): the status lines of every response, until close or 2 s
    python3 - "$port" "$1" <<'EOP'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(2)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            out += b"\nCLOSED"
            break
        out += d
except socket.timeout:
    out += b"\nOPEN"
print("\n".join(l for l in out.decode("latin-1").split("\r\n") if l.startswith("HTTP/") or l.endswith(("CLOSED", "OPEN"))).replace("\n\n", "\n"))
EOP
}
H="Host: 127.0.0.1:$port"
out=$(raw "POST /-/reload HTTP/1.1\r\n$H\r\nContent-Length: 0\r\nContent-Length: 32\r\n\r\nGET /-/healthy HTTP/1.1\r\n$H\r\n\r\n")
note "two Content-Length (0, 32): $(echo $out)"
assert_contains "$out" "HTTP/1.1 400" "conflicting Content-Length"
assert_not_contains "$out" "200 OK" "the smuggled request"
assert_contains "$out" "CLOSED" "the connection after the 400"
out=$(raw "POST /-/reload HTTP/1.1\r\n$H\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
assert_contains "$out" "HTTP/1.1 400" "Content-Length with Transfer-Encoding"
out=$(raw "POST /-/reload HTTP/1.1\r\n$H\r\nContent-Length: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
assert_contains "$out" "HTTP/1.1 200" "two equal Content-Length headers"

code() { curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$@" || true; }
assert_eq 200 "$(code "$AGENT_URL/metrics")" "Host 127.0.0.1:port"
assert_eq 200 "$(code "http://localhost:$port/-/healthy")" "Host localhost:port"
assert_eq 200 "$(code -H "Host: [::1]:$port" "$AGENT_URL/-/healthy")" "Host [::1]:port"
assert_eq 421 "$(code -H "Host: rebound.example:$port" "$AGENT_URL/metrics")" "a rebound name"
assert_eq 421 "$(code -H "Host: 127.0.0.1:1$port" "$AGENT_URL/metrics")" "another port"
kill "$AGENT_PID"

printf 'snmp: {enabled: false}\nweb:\n  allowed_hosts: [mxwatch.example, 127.0.0.1]\n' >"$T/named.yml"
start_agent "$T/named.yml"
assert_eq 200 "$(code -H 'Host: mxwatch.example:9999' "$AGENT_URL/-/healthy")" "a configured name, any port"
assert_eq 421 "$(code -H "Host: localhost:${AGENT_URL##*:}" "$AGENT_URL/-/healthy")" "localhost when not listed"
kill "$AGENT_PID"

printf 'snmp: {enabled: false}\nweb:\n  allowed_hosts: ["*"]\n' >"$T/any.yml"
start_agent "$T/any.yml"
assert_eq 200 "$(code -H 'Host: rebound.example' "$AGENT_URL/-/healthy")" "allowed_hosts: [*]"
kill "$AGENT_PID"

note "a listener on every address: no check unless configured"
port=$(free_port)
"$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/plain.yml" --web.listen-address=":$port" \
    >>"$T/agent.log" 2>&1 &
track $!
wait_for 10 curl -fsS "http://127.0.0.1:$port/-/healthy" || fail "agent did not come up on :$port"
assert_eq 200 "$(code -H 'Host: mxwatch.example.org' "http://127.0.0.1:$port/-/healthy")" "any Host on :port"

printf 'web:\n  allowed_hosts: ["bad host/"]\n' >"$T/bad.yml"
rc=0
out=$("$MXWATCH" check-config "$T/bad.yml" 2>&1) || rc=$?
assert_eq 1 "$rc" "check-config of a bad allowed_hosts entry"
assert_contains "$out" "allowed_hosts" "the refusal names the key"
echo "ok"
