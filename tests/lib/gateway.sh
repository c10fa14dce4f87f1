#!/usr/bin/env bash
# Test helpers for the mail gateway's XML status page (sourced after common.sh, never run):
# start_gateway_server runs tests/lib/gateway_server.py over HTTPS on loopback with a
# self-signed certificate made in $T, and gateway_mode switches its behaviour between polls.
# Everything it starts is stopped by common.sh's cleanup trap.

GATEWAY_FIXTURES=${GATEWAY_FIXTURES:-$MXW_TOP/tests/fixtures/gateway}

# gateway_cert: a self-signed certificate for 127.0.0.1 (and 127.0.0.2, localhost), made
# once per test; it is its own CA, so clients can verify it with --cacert "$GATEWAY_CA".
gateway_cert() {
    [ -f "$T/gateway.crt" ] && return 0
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost" \
        -keyout "$T/gateway.key" -out "$T/gateway.crt" >>"$T/openssl.log" 2>&1 ||
        fail "openssl could not make the gateway certificate"
}

# start_gateway_server [EXTRA_SERVER_ARGS...]: sets GATEWAY_PORT, GATEWAY_URL (the status
# page), GATEWAY_CA, GATEWAY_USER, GATEWAY_PASSWORD, GATEWAY_STATE (holds the mode file),
# GATEWAY_LOG and GATEWAY_PID; returns once the server answers.
start_gateway_server() {
    gateway_cert
    GATEWAY_PORT=$(free_port)
    GATEWAY_URL=https://127.0.0.1:$GATEWAY_PORT/xml/status
    GATEWAY_CA=$T/gateway.crt
    GATEWAY_USER=${GATEWAY_USER:-monitor}
    GATEWAY_PASSWORD=${GATEWAY_PASSWORD:-gw-secret-$RANDOM$RANDOM}
    GATEWAY_STATE=$T/gateway-state
    GATEWAY_LOG=$T/gateway.log
    mkdir -p "$GATEWAY_STATE"
    gateway_mode ok
    python3 "$MXW_TOP/tests/lib/gateway_server.py" --listen "127.0.0.1:$GATEWAY_PORT" \
        --cert "$T/gateway.crt" --key "$T/gateway.key" --user "$GATEWAY_USER" \
        --password "$GATEWAY_PASSWORD" --dir "$GATEWAY_FIXTURES" --state-dir "$GATEWAY_STATE" \
        "$@" >>"$GATEWAY_LOG" 2>&1 &
    GATEWAY_PID=$!
    track $GATEWAY_PID
    wait_for 10 curl -fsS --max-time 2 --cacert "$GATEWAY_CA" \
        "https://127.0.0.1:$GATEWAY_PORT/-/ready" || fail "gateway server did not come up"
}

# gateway_mode MODE: what the next requests get (see gateway_server.py); atomic, so a poll
# never reads half a word.
gateway_mode() {
    printf '%s\n' "$1" >"$GATEWAY_STATE/mode.tmp"
    mv -f "$GATEWAY_STATE/mode.tmp" "$GATEWAY_STATE/mode"
}

# gateway_requests: how many requests for the status page the server has answered so far.
gateway_requests() {
    grep -c ' path=/xml/status ' "$GATEWAY_LOG" || true
}
