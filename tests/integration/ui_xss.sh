#!/usr/bin/env bash
# ui_xss: text written by strangers cannot run in the status page. A private dnsmasq gives
# evil.test an MX host whose name holds <script> and an onload handler; at its address
# mxw-smtpd (banner= option) greets with a banner and an EHLO reply that hold <script> and an
# onerror handler.
# The agent probes it; chromium (tests/browser/xss.cjs) loads the pages and asserts that
# everything is shown as text, nothing ran, and the CSP header is sent. The JSON and the
# debug text carry the same strings, escaped for their formats.
# timeout: 90
source "$(dirname "$0")/../lib/common.sh"
export NODE_PATH=$MXW_TOP/.cache/npm/node_modules
[ -d "$NODE_PATH/playwright-core" ] || fail "playwright-core is not installed (make deps)"
OUT=${MXW_TEST_OUT:-$T}/ui_xss
mkdir -p "$OUT"
MXNAME='<svg/onload=alert(1)><script>alert(2)</script>.evil.test'
BANNER='<script>alert(3)</script> <img src=x onerror=window.__xss=1> ESMTP'
dns=$(free_port)
smtp=$(free_port)
cat >"$T/zone.conf" <<EOZ
mx-host=evil.test,$MXNAME,10
host-record=$MXNAME,127.0.0.57
EOZ
start_dnsmasq "$dns" "$T/zone.conf"
start_smtpd --listen "127.0.0.57:$smtp=ok,banner=$BANNER"
wait_tcp 127.0.0.57 "$smtp"
cat >"$T/agent.yml" <<EOC
global:
  probe_interval: 3s
  dns_servers: ["127.0.0.1:$dns"]
  smtp_port: $smtp
  connect_timeout: 2s
  banner_timeout: 2s
  total_timeout: 5s
  starttls: never
destinations: [evil.test]
snmp: {enabled: false}
EOC
start_agent "$T/agent.yml"
probed() { curl -fsS "$AGENT_URL/api/v1/destinations/evil.test" | grep -q 'alert(3)'; }
wait_for 20 probed || fail "the agent did not record the hostile banner"
page=$(curl -fsS "$AGENT_URL/destinations/evil.test")
assert_not_contains "$page" "<script>alert" "the detail page's HTML"
assert_not_contains "$page" "<img src=x" "the detail page's HTML"
assert_contains "$page" "&lt;script&gt;alert(3)&lt;/script&gt;" "the detail page's HTML"
headers=$(curl -fsS -D- -o /dev/null "$AGENT_URL/")
assert_contains "$headers" "Content-Security-Policy: default-src 'none'; script-src 'self'" "the list page's headers"
node "$MXW_TOP/tests/browser/xss.cjs" "$AGENT_URL" "$OUT" 2>&1 | tee "$T/browser.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "the browser ran hostile text or missed a check"
