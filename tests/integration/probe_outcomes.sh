#!/usr/bin/env bash
# timeout: 60
# probe_outcomes: every outcome class and destination reason, from real servers on
# loopback (tests/lib/probeworld.sh): first through `mxwatch probe --json` (one process,
# every domain at once, finished within the timeouts), then through the agent's /metrics
# (mxwatch_destination_status_reason_info and the damped status). Also the bounds of a
# 100 KB greeting (banner 512 bytes, transcript transcript_bytes), the STARTTLS facts
# against the generated certificate, mx_policy all probing both MX hosts of second.test,
# QUIT reaching the servers, and an unanswered QUIT ending the session as ok.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/probeworld.sh"
start_probeworld
not_after=$(date -d "$(openssl x509 -enddate -noout -in "$PW_CERT" | cut -d= -f2)" +%s)

# --- mxwatch probe --json --------------------------------------------------------------
start=$(date +%s%N)
rc=0
# shellcheck disable=SC2086
"$MXWATCH" probe --json --config.file="$PW_CONFIG" $PW_DOMAINS >"$T/probe.json" 2>"$T/probe.log" || rc=$?
took_ms=$((($(date +%s%N) - start) / 1000000))
note "mxwatch probe of $(wc -w <<<"$PW_DOMAINS") domains took ${took_ms} ms, exit $rc"
assert_eq 1 "$rc" "exit status with some domains down"
# banner_timeout 1 s, total_timeout 4 s: a stalled server must not hold the run longer
[ "$took_ms" -lt 4500 ] || fail "mxwatch probe took ${took_ms} ms; its timeouts are 1 s"

python3 - "$T/probe.json" >"$T/probe.facts" <<'EOPY'
import json, sys
for d in json.load(open(sys.argv[1])):
    print("%s status=%s reason=%s" % (d["domain"], d["status"], d["reason"]))
    print("%s transcript_len=%d" % (d["domain"], len(d["transcript"].encode())))
    for h in d["mx"]:
        print("%s mx=%s implicit=%s" % (d["domain"], h["name"], h["implicit"]))
        for a in h["addresses"]:
            pre = "%s addr=%s" % (d["domain"], a["address"])
            print("%s outcome=%s" % (pre, a["outcome"]))
            # The API's address document: a phase not reached is null.
            print("%s connected=%s banner_timed=%s" % (pre, a["connect_seconds"] is not None,
                  a["banner_seconds"] is not None))
            print("%s banner_len=%d banner_start=%s" % (pre, len(a["banner"].encode()), a["banner"][:4]))
            print("%s tls=%s,%s,%s,%s,%d" % (pre, a["starttls_offered"], a["tls_negotiated"],
                  a["tls_version"] or "", a["tls_verified"], a["tls_cert_expiry"] or 0))
    if "no reply to QUIT" in d["transcript"]:
        print("%s quit_unanswered" % d["domain"])
EOPY
facts=$(cat "$T/probe.facts")
for e in $PW_EXPECT; do
    IFS=: read -r d st reason <<<"$e"
    assert_contains "$facts" "$d status=$st reason=$reason" "mxwatch probe --json"
done
assert_contains "$facts" "huge.test addr=127.0.1.9 banner_len=" "huge banner"
huge_len=$(sed -n 's/^huge.test addr=127.0.1.9 banner_len=\([0-9]*\).*/\1/p' <<<"$facts")
[ "$huge_len" -ge 400 ] && [ "$huge_len" -le 511 ] || fail "100 KB greeting kept as $huge_len bytes, bound 511"
assert_contains "$facts" "huge.test addr=127.0.1.9 banner_len=$huge_len banner_start=220-" "huge banner"
while read -r _ kv; do
    [ "${kv#transcript_len=}" -le 2048 ] || fail "a transcript exceeds transcript_bytes: $kv"
done < <(grep ' transcript_len=' <<<"$facts")
assert_contains "$facts" "ok.test addr=127.0.1.1 tls=True,True,TLSv1.3,False,$not_after" "ok.test TLS facts"
assert_contains "$facts" "second.test addr=127.0.1.3 outcome=refused" "second.test, first MX"
assert_contains "$facts" "second.test addr=127.0.1.1 outcome=ok" "second.test, second MX"
assert_contains "$facts" "implicit.test mx=implicit.test implicit=True" "implicit MX"
assert_contains "$facts" "noquit.test quit_unanswered" "the noquit transcript"
assert_contains "$facts" "unreach.test addr=224.0.0.1 outcome=unreachable" "unreach.test"
# phase timings: a timed-out greeting still has its connect time, a refused connect none
assert_contains "$facts" "silent.test addr=127.0.1.10 connected=True banner_timed=False" "silent.test timings"
assert_contains "$facts" "noehlo.test addr=127.0.1.11 connected=True banner_timed=True" "noehlo.test timings"
assert_contains "$facts" "backlog.test addr=127.0.1.13 connected=False banner_timed=False" "backlog.test timings"
assert_contains "$facts" "refused.test addr=127.0.1.3 connected=False banner_timed=False" "refused.test timings"

# --- the agent -------------------------------------------------------------------------
start_agent "$PW_CONFIG"
settled() {
    local m e d st reason
    m=$(scrape)
    for e in $PW_EXPECT; do
        IFS=: read -r d st reason <<<"$e"
        [ "$(metric_value "$m" "mxwatch_destination_status_reason_info{destination=\"$d\",reason=\"$reason\"}")" = 1 ] || return 1
        [ "$(metric_value "$m" "mxwatch_destination_status{destination=\"$d\",status=\"$st\"}")" = 1 ] || return 1
    done
}
# first round within 2 s, a failure confirmed 1 s later (down_after 2), slack for 4 s sessions
wait_for 15 settled || {
    scrape | grep -E '^mxwatch_destination_(status|status_reason_info)\{' >&2
    fail "the destinations did not all reach their expected status and reason"
}
m=$(scrape)
lbl='destination="ok.test",mx="mx.ok.test",address="127.0.1.1",preference="10"'
assert_eq 1 "$(metric_value "$m" "mxwatch_smtp_starttls_offered{$lbl}")" "STARTTLS offered"
assert_eq 1 "$(metric_value "$m" "mxwatch_tls_version_info{$lbl,version=\"TLSv1.3\"}")" "TLS version"
assert_eq "$not_after" "$(metric_value "$m" "mxwatch_tls_cert_expiry_timestamp_seconds{$lbl}")" \
    "certificate expiry against the generated certificate's notAfter"
assert_eq 0 "$(metric_value "$m" 'mxwatch_mx_up{destination="second.test",mx="mx1.second.test",address="127.0.1.3",preference="10"}')" "second.test first MX"
assert_eq 1 "$(metric_value "$m" 'mxwatch_mx_up{destination="second.test",mx="mx2.second.test",address="127.0.1.1",preference="20"}')" "second.test second MX"

# QUIT reached the servers, answered by mxw-smtpd and left unanswered by noquit
grep -q 'listener=127.0.1.1:[0-9]* .*verb=QUIT reply=221' "$T/pw-smtpd-events.log" ||
    fail "no QUIT reached the ok listener"
grep -q 'listener=127.0.1.16:[0-9]* .*verb=QUIT reply=0' "$T/pw-smtpd-events.log" ||
    fail "no QUIT reached the noquit listener"
kill -0 "$AGENT_PID" || fail "the agent died"

# web.metrics.per_address: false drops the per-address families at the next snapshot after a
# reload; the destination's own families stay.
printf 'web:\n  metrics:\n    per_address: false\n' >>"$PW_CONFIG"
kill -HUP "$AGENT_PID"
no_addr() {
    local body
    body=$(scrape) && ! grep -q '^mxwatch_mx_up{' <<<"$body"
}
wait_for 5 no_addr || fail "mxwatch_mx_up still served with web.metrics.per_address: false"
m=$(scrape)
assert_eq 1 "$(metric_value "$m" 'mxwatch_destination_up{destination="ok.test"}')" "ok.test without per-address families"

# A clean stop after every class; under `make SANITIZE=address,undefined test` this is
# where LeakSanitizer reports what the probes left behind.
kill -TERM "$AGENT_PID"
for _ in $(seq 1 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$AGENT_PID" 2>/dev/null || fail "agent still running 5 s after SIGTERM"
wait "$AGENT_PID" 2>/dev/null || true
! grep -q -E 'Sanitizer|runtime error' "$T/agent.log" || fail "the sanitizers reported errors"
grep -q 'msg="stopped"' "$T/agent.log" || fail "the agent did not log a clean stop"
