#!/usr/bin/env bash
# timeout: 120
# Proves that a private, real Postfix (tests/lib/postfix.sh) sends, defers, bounces, expires
# and removes mail for loopback destinations, and that pflog_parse_line classifies each of
# its real log lines right (driven through build/pflog-bench --events).
#
# Destinations, all smtp-sink or nothing on 127.0.0.0/8 (or ::1):
#   up.test      accepts everything               -> sent (4 recipients, one via an alias)
#   down.test    nothing listens                  -> deferred 4.4.1, later expired / removed
#   reject.test  550 5.1.1 to RCPT                -> bounced, class 5xx
#   filter.test  554 5.7.1 after DATA             -> bounced, class filter
#   soft.test    450 to RCPT                      -> deferred with reply 450, later expired
#   lmtp.test    LMTP to an SMTP-only sink        -> bounced 500 "refused to talk to me", 5xx
#   unknown.test no transport entry: the harness's default_transport error:5.1.2 bounces it
#                (without it Postfix would ask the host's DNS, which a test must not use)
#                -> bounced, class dns
#   a "Subject: spam" message to up.test          -> header_checks REJECT, filter (cleanup)
#   v6.test      smtp-sink on [::1]               -> sent, IPv6 relay (when lo has ::1)
# Then the queue lifetimes drop to 1s: the messages still deferred expire.
# MXW_FIXTURE_OUT=FILE keeps the resulting log (tests/fixtures/postfix/maillog.sample).
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/postfix.sh"
BENCH=$BUILD/pflog-bench
[ -x "$BENCH" ] || fail "$BENCH is missing: run make"

sink() { # ADDR PORT FLAGS...
    local addr=$1 port=$2
    shift 2
    smtp-sink -u nobody "$@" "$addr:$port" 64 >>"$T/sink.log" 2>&1 &
    track $!
}
P_UP=$(free_port) P_DOWN=$(free_port) P_REJ=$(free_port) P_FIL=$(free_port)
P_SOFT=$(free_port) P_V6=$(free_port)
sink 127.0.0.31 "$P_UP"
sink 127.0.0.33 "$P_REJ" -f RCPT -B "550 5.1.1 <r@reject.test>: Recipient address rejected: User unknown"
sink 127.0.0.34 "$P_FIL" -f . -B "554 5.7.1 Message content rejected"
sink 127.0.0.35 "$P_SOFT" -r RCPT
v6= proto=ipv4
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
    v6="v6.test=smtp:[ipv6:::1]:$P_V6" proto=all
    sink '[::1]' "$P_V6"
else
    note "no ::1 on lo: the IPv6 relay case is skipped"
fi
for a in 31:$P_UP 33:$P_REJ 34:$P_FIL 35:$P_SOFT; do wait_tcp "127.0.0.${a%%:*}" "${a#*:}"; done

printf '/^Subject: spam/ REJECT spam header seen\n' >"$T/header_checks"
start_postfix "$T/pf" "origin.test=smtp:[127.0.0.31]:$P_UP
up.test=smtp:[127.0.0.31]:$P_UP
down.test=smtp:[127.0.0.32]:$P_DOWN
reject.test=smtp:[127.0.0.33]:$P_REJ
filter.test=smtp:[127.0.0.34]:$P_FIL
soft.test=smtp:[127.0.0.35]:$P_SOFT
lmtp.test=lmtp:[127.0.0.31]:$P_UP
$v6" "header_checks = regexp:$T/header_checks
virtual_alias_maps = inline:{ alias@up.test=real@up.test }
inet_protocols = $proto"

pf_send a1@origin.test u1@up.test u2@Up.Test alias@up.test '"with space"@up.test'
pf_send a2@origin.test x@down.test
pf_send a3@origin.test y@down.test
pf_send a4@origin.test r@reject.test
pf_send a5@origin.test f@filter.test
pf_send a6@origin.test n@unknown.test
printf 'Subject: spam\n\nspam\n' | sendmail -C "$PF_CONF" -f a7@origin.test h@up.test
pf_send a8@origin.test s@soft.test
pf_send a9@origin.test l@lmtp.test
[ -z "$v6" ] || pf_send a10@origin.test v@v6.test

events() { "$BENCH" --events "$PF_LOG"; }
# count KIND DOMAIN [CLASS]: events of that kind (and hard-bounce class) for DOMAIN.
count() {
    events | awk -F'\t' -v k="$1" -v d="$2" -v c="${3:-}" \
        '$1 == k && $3 == d && (c == "" || $4 == c) { n++ } END { print n + 0 }'
}
phase1_done() {
    [ "$(count sent up.test)" -ge 4 ] && [ "$(count deferred down.test)" -ge 2 ] &&
        [ "$(count deferred soft.test)" -ge 1 ] && [ "$(count bounced lmtp.test)" -ge 1 ] &&
        [ "$(count bounced unknown.test)" -ge 1 ] && [ "$(count bounced up.test)" -ge 1 ] &&
        [ "$(count bounced reject.test)" -ge 1 ] && [ "$(count bounced filter.test)" -ge 1 ] &&
        { [ -z "$v6" ] || [ "$(count sent v6.test)" -ge 1 ]; }
}
wait_for 30 phase1_done || fail "not every first delivery attempt was logged (see $PF_LOG)"

# Remove one deferred message, then let the rest expire.
qid_of() { sed -n "s/.*qmgr\[[0-9]*\]: \([0-9A-Za-z]*\): from=<$1>.*/\1/p" "$PF_LOG" | head -n 1; }
Q_REMOVE=$(qid_of a3@origin.test) Q_EXP_DOWN=$(qid_of a2@origin.test) Q_EXP_SOFT=$(qid_of a8@origin.test)
[ -n "$Q_REMOVE" ] && [ -n "$Q_EXP_DOWN" ] && [ -n "$Q_EXP_SOFT" ] || fail "queue ids not found"
postsuper -c "$PF_CONF" -d "$Q_REMOVE" >/dev/null 2>&1 || fail "postsuper -d $Q_REMOVE failed"
pf_set 'maximal_queue_lifetime = 1s' 'bounce_queue_lifetime = 1s'
pf_flush
pf_wait_empty 30 || fail "queue not empty after expiry: $(pf_queue_json)"
[ -z "${MXW_FIXTURE_OUT:-}" ] || cp "$PF_LOG" "$MXW_FIXTURE_OUT"

log=$(cat "$PF_LOG")
assert_contains "$log" "$Q_EXP_DOWN: from=<a2@origin.test>, status=expired, returned to sender" "maillog"
assert_contains "$log" "postsuper[" "maillog"
all=$(events)
note "events:"$'\n'"$all"
assert_eq 0 "$(grep -c '^malformed' <<<"$all" || true)" "malformed lines in the real log"
assert_eq 4 "$(count sent up.test)" "sent to up.test (Up.Test lower-cased, alias, quoted)"
assert_eq 1 "$(count bounced reject.test 5xx)" "reject.test 5xx bounces"
assert_eq 1 "$(count bounced filter.test filter)" "filter.test filter bounces"
assert_eq 1 "$(count bounced unknown.test dns)" "unknown.test dns bounces"
assert_eq 1 "$(count bounced lmtp.test 5xx)" "lmtp.test 5xx bounces"
assert_eq 1 "$(count bounced up.test filter)" "header_checks bounce of up.test"
assert_eq 7 "$(count sent origin.test)" "bounce notices sent to the senders at origin.test"
assert_contains "$all" $'bounced\t'"$(qid_of a4@origin.test)"$'\treject.test\t5xx\t5.1.1\t550\tsmtp\t127.0.0.33\t127.0.0.33\t'"$P_REJ" "reject.test event"
assert_contains "$all" $'filter\t5.7.1\t554\tsmtp' "filter.test event"
assert_contains "$all" $'unknown.test\tdns\t5.1.2\t0\terror\tnone' "unknown.test event"
assert_contains "$all" $'up.test\tfilter\t5.7.1\t0\tcleanup' "header_checks event"
assert_contains "$all" $'deferred\t'"$Q_EXP_DOWN"$'\tdown.test\tnone\t4.4.1\t0\tsmtp\tnone' "down.test event"
assert_contains "$all" $'soft.test\tnone\t4.3.0\t450\tsmtp' "soft.test event"
assert_contains "$all" $'expired\t'"$Q_EXP_DOWN"$'\t-\texpired\t-\t0\tqmgr' "down.test expiry"
assert_contains "$all" $'expired\t'"$Q_EXP_SOFT"$'\t-\texpired' "soft.test expiry"
assert_contains "$all" $'removed\t'"$Q_REMOVE"$'\t-\tnone\t-\t0\tpostsuper' "postsuper removal"
assert_not_contains "$all" $'expired\t'"$Q_REMOVE" "removed message expiry"
[ -z "$v6" ] || assert_contains "$all" $'v6.test\tnone\t2.0.0\t0\tsmtp\t::1\t::1\t'"$P_V6" "IPv6 relay"

# A second instance beside the first (as beside a host's own Postfix): its own queue, log
# and port, and mail to it never shows in the first one's log.
first_log=$PF_LOG first_port=$PF_SMTPD_PORT
start_postfix "$T/pf2" "up.test=smtp:[127.0.0.31]:$P_UP"
[ "$PF_SMTPD_PORT" != "$first_port" ] || fail "both instances got port $PF_SMTPD_PORT"
pf_send a1@origin.test second@up.test
pf_wait_empty 15 || fail "second instance did not deliver: $(pf_queue_json)"
assert_contains "$("$BENCH" --events "$PF_LOG")" $'sent\t' "second instance events"
assert_contains "$(cat "$PF_LOG")" "to=<second@up.test>" "second instance log"
assert_not_contains "$(cat "$first_log")" "second@up.test" "first instance log"
tcp_open 127.0.0.1 "$first_port" || fail "the first instance stopped when the second started"
note "ok: $(wc -l <<<"$all") events from $(wc -l <"$first_log") real log lines"
