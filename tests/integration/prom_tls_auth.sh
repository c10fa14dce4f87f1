#!/usr/bin/env bash
# prom_tls_auth: an agent started with an exporter-toolkit web config (--web.config.file)
# serves only TLS (certificate generated here, paths relative to the web config) and only
# to basic-auth users whose bcrypt hash matches (hash made here with mkpasswd): no
# credentials, a wrong password or an unknown user get a 401, the right ones get the
# metrics; a TLS version below the configured minimum (1.3 here) is refused; a web config with a
# non-bcrypt hash stops the agent at start with the file named. An address that keeps
# guessing waits behind others without locking out right passwords.
# timeout: 60
source "$(dirname "$0")/../lib/common.sh"

command -v mkpasswd >/dev/null || fail "mkpasswd missing (package whois, tests/lib/deps.sh)"
mkdir "$T/web"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=mxwatch-test -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$T/web/key.pem" -out "$T/web/cert.pem" >"$T/openssl.log" 2>&1 ||
    fail "openssl could not make a certificate"
hash=$(mkpasswd -m bcrypt -R 8 'right horse battery')
hash2=$(mkpasswd -m bcrypt -R 8 'second user pass')
cat >"$T/web/web.yml" <<EOC
tls_server_config:
  cert_file: cert.pem
  key_file: key.pem
  min_version: TLS13
basic_auth_users:
  scraper: $hash
  second: $hash2
http_server_config:
  headers:
    Strict-Transport-Security: max-age=60
EOC
# Loopback only: the DNS server is a port where nothing answers, never resolv.conf's.
printf 'global: {dns_servers: ["127.0.0.1:9"]}\ndestinations: [tls.test]\n' >"$T/mxwatch.yml"

port=$(free_port)
URL=https://127.0.0.1:$port
"$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/mxwatch.yml" --web.listen-address="127.0.0.1:$port" \
    --web.config.file="$T/web/web.yml" >>"$T/agent.log" 2>&1 &
track $!
C=(curl -sS --max-time 5 --cacert "$T/web/cert.pem")
wait_for 10 "${C[@]}" -o /dev/null "$URL/-/healthy" || fail "agent did not come up on TLS"

code() { "${C[@]}" -o /dev/null -w '%{http_code}' "$@" || true; }
assert_eq 200 "$(code -u 'scraper:right horse battery' "$URL/metrics")" "right password"
hdr=$("${C[@]}" -D - -o /dev/null "$URL/metrics")
assert_contains "$hdr" "HTTP/1.1 401" "no credentials"
assert_contains "$hdr" 'WWW-Authenticate: Basic realm="mxwatch"' "401 challenge"
assert_contains "$hdr" "Strict-Transport-Security: max-age=60" "configured header"
assert_eq 401 "$(code -u 'scraper:wrong horse' "$URL/metrics")" "wrong password"
assert_eq 401 "$(code -u 'intruder:right horse battery' "$URL/metrics")" "unknown user"
assert_eq 401 "$(code -u 'scraper:' "$URL/metrics")" "empty password"
assert_eq 401 "$(code -u 'scraper:wrong' "$URL/no/such/path")" "unknown path with a wrong password"
assert_eq 401 "$(code -u 'scraper:wrong again' "$URL/metrics")" "fifth wrong password"
# 127.0.0.1 has failed five times: its checks now wait behind other clients', but a right
# password not yet remembered still passes from it (never locked out), and from another
# address; the scraper's remembered credentials keep working from the guessing address.
assert_eq 200 "$(code -u 'second:second user pass' "$URL/metrics")" "a right password from a guessing address"
assert_eq 200 "$(code --interface 127.0.0.2 -u 'second:second user pass' "$URL/metrics")" "the same from another address"
"${C[@]}" -f -u 'scraper:right horse battery' "$URL/metrics" >"$T/metrics.txt" ||
    fail "metrics with remembered credentials from a throttled address"
promtool check metrics <"$T/metrics.txt" >/dev/null 2>&1 || fail "promtool rejects metrics over TLS"
assert_contains "$(cat "$T/metrics.txt")" 'mxwatch_destination_up{destination="tls.test"}' "metrics over TLS"
"${C[@]}" -f -u 'scraper:right horse battery' -H 'Accept-Encoding: gzip' "$URL/metrics" |
    gzip -dc | grep -q '^mxwatch_build_info' || fail "gzip over TLS"

# Plain HTTP to the TLS port is refused, and so is TLS 1.2 (min_version: TLS13).
curl -sS --max-time 3 "http://127.0.0.1:$port/-/healthy" >/dev/null 2>&1 && fail "plain HTTP answered"
"${C[@]}" --tls-max 1.2 -o /dev/null "$URL/-/healthy" 2>/dev/null && fail "TLS 1.2 accepted"
assert_eq 401 "$(code --tlsv1.3 "$URL/-/healthy")" "a TLS 1.3 handshake (then the 401 of every path)"

# A web config with a plain-text password is refused at start, naming the file.
printf 'basic_auth_users:\n  scraper: hunter2\n' >"$T/web/bad.yml"
rc=0
"$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/mxwatch.yml" --web.listen-address="127.0.0.1:$(free_port)" \
    --web.config.file="$T/web/bad.yml" >"$T/bad.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "agent started with a non-bcrypt hash"
assert_contains "$(cat "$T/bad.log")" "$T/web/bad.yml:2: basic_auth_users: the hash of 'scraper' is not bcrypt" "start error"
echo "ok: TLS and basic auth"
