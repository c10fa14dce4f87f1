#!/usr/bin/env bash
# timeout: 60
# smtpping: `mxwatch smtpping` (issue 16 item 1) against mxw-smtpd, its MX found through a
# private dnsmasq as `mxwatch probe` finds it (--dns.server, --smtp.port):
#  - a full transaction (data mode) goes through: every phase timed and its reply printed,
#    then the ping-like summary; the server logs the message with the Message-ID the run
#    printed and the X-Mxwatch-Probe header; exit 0;
#  - --rcpt-only sends no mail: the server sees RSET and no DATA;
#  - --count 3 runs three transactions and prints min/avg/max per phase;
#  - 550 at RCPT (mode rcpt5xx) and 451 at MAIL (mode mail4xx) fail the run: exit 1, as
#    probe exits for a domain that is down; no MX at all: exit 1; usage errors: exit 2;
#  - swaks against the same servers sees the same phases with the same reply codes.
source "$(dirname "$0")/../lib/common.sh"
command -v swaks >/dev/null || fail "swaks is not installed (make deps)"

P=$(free_port)
dns=$(free_port)
cat >"$T/zone.conf" <<EOZ
mx-host=ok.test,mx.ok.test,10
host-record=mx.ok.test,127.0.2.1
mx-host=rcpt5xx.test,mx.rcpt5xx.test,10
host-record=mx.rcpt5xx.test,127.0.2.2
mx-host=mail4xx.test,mx.mail4xx.test,10
host-record=mx.mail4xx.test,127.0.2.3
mx-host=nullmx.test,.,0
EOZ
start_dnsmasq "$dns" "$T/zone.conf"
start_smtpd --hostname mx.ping.test --log "$T/events.log" \
    --listen "127.0.2.1:$P=ok" --listen "127.0.2.2:$P=rcpt5xx" --listen "127.0.2.3:$P=mail4xx"
wait_tcp 127.0.2.1 "$P"
printf 'global:\n  ehlo_name: ping.client.test\n' >"$T/mxwatch.yml"

ping() { # ping ARGS...: sets OUT and RC
    RC=0
    OUT=$("$MXWATCH" smtpping --config.file="$T/mxwatch.yml" --dns.server "127.0.0.1:$dns" \
        --smtp.port "$P" "$@" 2>"$T/ping.err") || RC=$?
}
codes_json() { # the reply codes of each run's phases, in order, one run per line
    python3 -c '
import json, sys
for r in json.load(sys.stdin)["runs"]:
    print(" ".join("%s=%d" % (p["phase"], p["code"]) for p in r["phases"] if p["code"]))'
}
codes_swaks() { # the final reply codes swaks saw, in order, named by the command before them
    awk '
        /^ *-> +[.]$/ { c = "body" }
        /^ *-> +DATA$/ { c = "DATA"; sent_data = 1 }
        /^ *-> +(EHLO|MAIL|RCPT|QUIT|RSET)/ { c = $2 }
        /^ *<[-*]+ +[0-9][0-9][0-9] / { printf "%s%s=%s", n++ ? " " : "", tolower(c == "" ? "greeting" : c), $2 }
        END { print "" }'
}

note "a full transaction: every phase and reply, a summary, the message arrives"
ping --from probe@ping.client.test postmaster@ok.test
assert_eq 0 "$RC" "exit status of a transaction that went through"
for ph in connect greeting ehlo mail rcpt data body quit; do
    grep -qE "^run 1 from 127\.0\.2\.1:.* $ph [0-9.]+ ms" <<<"$OUT" || fail "no $ph time: $OUT"
done
assert_contains "$OUT" "SMTPPING postmaster@ok.test via mx.ok.test [127.0.2.1]:$P, data" "head"
assert_contains "$OUT" "  GREETING 220 mx.ping.test ESMTP mxw-smtpd" "greeting reply"
assert_contains "$OUT" "  MAIL     250 2.1.0 Ok" "MAIL reply"
assert_contains "$OUT" "  RCPT     250 2.1.5 Ok" "RCPT reply"
assert_contains "$OUT" "  DATA     354 " "DATA reply"
assert_contains "$OUT" "  BODY     250 2.0.0 Ok: queued as" "end of data reply"
assert_contains "$OUT" "  QUIT     221 2.0.0 Bye" "QUIT reply"
assert_contains "$OUT" "--- postmaster@ok.test smtpping statistics ---" "summary head"
assert_contains "$OUT" "1 transactions, 1 succeeded, 0% failed" "summary counts"
msgid=$(sed -n 's/^  message-id <\(.*\)>$/\1/p' <<<"$OUT")
[[ $msgid == *@ping.client.test ]] || fail "Message-ID '$msgid' is not random@helo-name"
wait_for 5 grep -q "msgid=\"<$msgid>\"" "$T/events.log" || fail "the server logged no message $msgid"
grep "msgid=\"<$msgid>\"" "$T/events.log" | grep -q 'probe="mxwatch transaction probe' ||
    fail "the message has no X-Mxwatch-Probe header: $(grep event=message "$T/events.log")"

note "--rcpt-only: RSET after RCPT, no DATA, no message"
: >"$T/events.log"
ping --rcpt-only postmaster@ok.test
assert_eq 0 "$RC" "exit status of --rcpt-only"
assert_contains "$OUT" "  RSET     250 2.0.0 Ok" "RSET reply"
assert_not_contains "$OUT" "  DATA " "--rcpt-only output"
wait_for 5 grep -q "event=close" "$T/events.log" || fail "no session logged"
grep -q "verb=RSET" "$T/events.log" || fail "no RSET: $(cat "$T/events.log")"
! grep -qE "verb=DATA|event=message" "$T/events.log" || fail "--rcpt-only sent DATA"

note "--count 3: three runs, min/avg/max per phase"
ping --count 3 --interval 50ms --rcpt-only postmaster@ok.test
assert_eq 0 "$RC" "exit status of three runs"
[ "$(grep -c '^run [0-9]* from' <<<"$OUT")" = 3 ] || fail "not three runs: $OUT"
assert_contains "$OUT" "3 transactions, 3 succeeded, 0% failed" "summary of three"
for ph in connect greeting ehlo mail rcpt rset quit; do
    grep -qE "^$ph +min/avg/max = [0-9.]+/[0-9.]+/[0-9.]+ ms$" <<<"$OUT" || fail "no $ph min/avg/max"
done

note "refusals fail the run: 550 at RCPT, 451 at MAIL, exit 1; no MX: exit 1"
ping --rcpt-only postmaster@rcpt5xx.test
assert_eq 1 "$RC" "exit status for 550 at RCPT"
assert_contains "$OUT" ": failed at rcpt" "the failed phase"
assert_contains "$OUT" "  RCPT     550 5.1.1 user unknown" "the 550"
assert_contains "$OUT" "1 transactions, 0 succeeded, 100% failed" "summary of a failure"
ping postmaster@mail4xx.test
assert_eq 1 "$RC" "exit status for 451 at MAIL"
assert_contains "$OUT" "  MAIL     451 4.7.1 " "the 451"
ping postmaster@nullmx.test
assert_eq 1 "$RC" "exit status for a null MX"
assert_contains "$(cat "$T/ping.err")" "no MX address to use (null_mx)" "null MX message"

note "usage errors: exit 2"
ping
assert_eq 2 "$RC" "no recipient"
ping not-an-address
assert_eq 2 "$RC" "a recipient without a domain"
ping --count 0 postmaster@ok.test
assert_eq 2 "$RC" "--count 0"
ping --interval soon postmaster@ok.test
assert_eq 2 "$RC" "--interval soon"
ping --from 'a b@c.test' postmaster@ok.test
assert_eq 2 "$RC" "a sender with a space"

note "swaks sees the same phases and reply codes"
cmp_swaks() { # cmp_swaks ADDR DOMAIN [SWAKS ARGS...] -- [SMTPPING ARGS...]
    local addr=$1 dom=$2 sargs=() pargs=()
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1") && shift; done
    shift
    pargs=("$@")
    swaks --server "$addr" --port "$P" --helo ping.client.test --from probe@ping.client.test \
        --to "postmaster@$dom" "${sargs[@]}" >"$T/swaks.out" 2>&1 || true
    local s m
    s=$(codes_swaks <"$T/swaks.out")
    ping --json --from probe@ping.client.test "${pargs[@]}" "postmaster@$dom"
    m=$(codes_json <<<"$OUT")
    m=${m/ rset=250/} # --quit-after RCPT quits without the RSET that --rcpt-only sends
    assert_eq "$s" "$m" "reply codes per phase, swaks (left) and smtpping (right), $dom"
}
cmp_swaks 127.0.2.1 ok.test --
cmp_swaks 127.0.2.2 rcpt5xx.test --
cmp_swaks 127.0.2.3 mail4xx.test --
cmp_swaks 127.0.2.1 ok.test --quit-after RCPT -- --rcpt-only
