#!/usr/bin/env bash
# smtpd_modes: proves that mxw-smtpd (tests/smtpd/) behaves as each listener mode promises,
# holds its bounds against hostile clients, and stops cleanly: one server with every mode on
# its own 127.0.0.x address, driven by tests/lib/smtpc.py, curl and openssl s_client.
# timeout: 60
source "$(dirname "$0")/../lib/common.sh"

SMTPC="python3 $MXW_TOP/tests/lib/smtpc.py"
[ -x "$MXW_SMTPD" ] || fail "$MXW_SMTPD not built"

kv() { # kv KEY TEXT: the value of KEY= in smtpc output
    sed -n "s/^$1=//p" <<<"$2" | head -n1
}
ge() { # ge A B WHAT: A >= B, as decimals
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }' || fail "$3: expected >= $2, got $1"
}
le() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' || fail "$3: expected <= $2, got $1"
}
logged() { grep -F -- "$1" "$T/events.log"; }

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.test \
    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null || fail "openssl req"

# --- bad arguments: exit 2 and name the argument --------------------------------------
bad_arg() { # expected-fragment args...
    local want=$1 rc=0 msg
    shift
    msg=$("$MXW_SMTPD" "$@" 2>&1) || rc=$?
    assert_eq 2 "$rc" "exit status of mxw-smtpd $*"
    assert_contains "$msg" "$want" "error for mxw-smtpd $*"
}
bad_arg "bad port 'x'" --listen 127.0.0.1:x=ok
bad_arg "unknown mode 'bogus'" --listen 127.0.0.1:2525=bogus
bad_arg "option 'delay' does not apply to mode ok" --listen 127.0.0.1:2525=ok,delay=3
bad_arg "bad value 'soon' for delay" --listen 127.0.0.1:2525=delay,delay=soon
bad_arg "--bogus" --bogus 1 --listen 127.0.0.1:2525=ok
bad_arg "--tls-cert: given without --tls-key" --tls-cert "$T/cert.pem" --listen 127.0.0.1:2525=ok
bad_arg "--listen: at least one" --hostname mx.test
bad_arg "bad address '::1'" --listen '::1:25=ok'
bad_arg "--tls-key" --tls-cert "$T/cert.pem" --tls-key /nonexistent --listen 127.0.0.1:2525=ok
bad_arg "option 'banner' does not apply to mode 421" --listen 127.0.0.1:2525=421,banner=x
bad_arg "for banner (1..400 printable characters)" --listen $'127.0.0.1:2525=ok,banner=a\rb'
bad_arg "option 'idle' does not apply to mode backlog" --listen 127.0.0.1:2525=backlog,idle=1

# --- one server, every mode -------------------------------------------------------------
P=$(free_port)
A=127.0.0
"$MXW_SMTPD" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --hostname mx.test \
    --log "$T/events.log" --pidfile "$T/smtpd.pid" \
    --listen $A.31:$P=ok --listen "[::1]:$P=ok" --listen $A.32:$P=rcpt5xx \
    --listen $A.33:$P=delay,delay=1.5 --listen $A.34:$P=slow,interval=0.05 \
    --listen $A.35:$P=421 --listen $A.36:$P=554 --listen $A.37:$P=garbage,bytes=4096 \
    --listen $A.38:$P=huge --listen $A.39:$P=silent --listen $A.40:$P=noehlo \
    --listen $A.41:$P=reset --listen $A.42:$P=ok,idle=1,maxmsg=2000 \
    --listen $A.43:$P=slow --listen $A.44:$P=silent,idle=1 --listen $A.47:$P=noquit \
    --listen $A.48:$P=badtls --listen $A.49:$P=backlog --listen $A.51:$P=rcpt4xx \
    --listen $A.53:$P=mail4xx --listen $A.54:$P=mail5xx --listen $A.55:$P=greylist \
    --listen "$A.50:$P=ok,idle=5,banner=<script>alert(1)</script>, <b>hostile</b> ESMTP" \
    >>"$T/smtpd.log" 2>&1 &
SMTPD_PID=$!
track $SMTPD_PID
wait_for 5 test -s "$T/smtpd.pid" || fail "mxw-smtpd did not write its pid file"
assert_eq "$SMTPD_PID" "$(cat "$T/smtpd.pid")" "pid file"

note "ok: banner, EHLO extensions, a full transaction with curl"
out=$($SMTPC chat $A.31 $P "EHLO client.test")
assert_contains "$out" "220 mx.test ESMTP mxw-smtpd" "ok banner"
for ext in PIPELINING "SIZE 10485760" 8BITMIME STARTTLS "250 ENHANCEDSTATUSCODES"; do
    assert_contains "$out" "$ext" "EHLO reply"
done
printf 'Subject: test\r\n\r\nline one\r\n.leading dot\r\n' >"$T/msg.txt"
curl -sS --max-time 10 "smtp://$A.31:$P" --mail-from a@client.test --mail-rcpt b@mx.test \
    -T "$T/msg.txt" || fail "curl could not send a message to mode ok"
logged "event=message bytes=" | grep -q "reply=250" || fail "message not logged with 250"
logged "listener=$A.31:$P" | grep -q "verb=QUIT reply=221" || fail "curl's QUIT not logged"

note "ok over IPv6, pipelined commands answered in order"
out=$($SMTPC chat ::1 $P "EHLO c|NOOP|RSET|VRFY x|QUIT")
assert_contains "$out" "$(printf '250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n502 5.5.2')" "pipelined replies"
assert_contains "$out" "221 2.0.0 Bye" "QUIT over IPv6"
assert_eq 1 "$(kv closed "$out")" "closed after QUIT"

note "ok: MAIL needs HELO, DATA needs RCPT, dot-unstuffing counts the body right"
out=$($SMTPC chat $A.31 $P "MAIL FROM:<a@b>" "HELO c" "DATA" "MAIL FROM:<a@b>" \
    "RCPT TO:<c@d>" "DATA" "<..x|." "QUIT")
assert_contains "$out" "503 5.5.1 Error: send HELO/EHLO first" "MAIL before HELO"
assert_contains "$out" "503 5.5.1 Error: need RCPT command" "DATA before RCPT"
assert_contains "$out" "250 2.0.0 Ok: queued as" "end of data"
logged "event=message bytes=4 rcpts=1 reply=250" >/dev/null || fail "'..x' not unstuffed to '.x'"

note "ok: STARTTLS (python ssl), clear-text pipelined after it is dropped, EHLO again needed"
out=$($SMTPC starttls $A.31 $P)
assert_contains "$(kv tls "$out")" "TLS" "TLS version"
assert_contains "$out" "220 2.0.0 Ready to start TLS" "STARTTLS reply"
assert_contains "$out" "503 5.5.1 Error: send HELO/EHLO first" "MAIL right after TLS"
assert_eq 1 "$(grep -c 250-STARTTLS <<<"$out")" "STARTTLS offered before TLS only"
logged "event=tls version=TLSv1" >/dev/null || fail "TLS handshake not logged"
! logged "verb=INJECTED" >/dev/null || fail "a command pipelined in clear after STARTTLS was run"

note "ok: STARTTLS with openssl s_client"
out=$(printf 'EHLO again\r\nQUIT\r\n' | timeout 10 openssl s_client -starttls smtp -quiet \
    -connect $A.31:$P 2>&1) || true
assert_contains "$out" "221 2.0.0 Bye" "QUIT under TLS (s_client)"

note "rcpt5xx: every RCPT gets 550 5.1.1"
out=$($SMTPC chat $A.32 $P "EHLO c" "MAIL FROM:<a@b>" "RCPT TO:<c@d>" "DATA" "QUIT")
assert_contains "$out" "550 5.1.1 user unknown" "rcpt5xx RCPT"
assert_contains "$out" "554 5.5.1 Error: no valid recipients" "rcpt5xx DATA"
rc=0
curl -sS --max-time 10 "smtp://$A.32:$P" --mail-from a@c.test --mail-rcpt b@mx.test \
    -T "$T/msg.txt" 2>"$T/curl.err" || rc=$?
[ $rc -ne 0 ] || fail "curl delivered to mode rcpt5xx"
assert_contains "$(cat "$T/curl.err")" "550" "curl error for rcpt5xx"

note "rcpt4xx: 220 greeting and EHLO, every RCPT deferred with 451 4.7.1"
out=$($SMTPC chat $A.51 $P "EHLO c" "MAIL FROM:<a@b>" "RCPT TO:<c@d>" "DATA" "QUIT")
assert_contains "$out" "220 " "rcpt4xx greeting"
assert_contains "$out" "250 2.1.0" "rcpt4xx MAIL accepted"
assert_contains "$out" "451 4.7.1 Throttled" "rcpt4xx RCPT"
assert_contains "$out" "554 5.5.1 Error: no valid recipients" "rcpt4xx DATA"

note "mail4xx and mail5xx: every MAIL refused, 451 4.7.1 and 550 5.7.1"
out=$($SMTPC chat $A.53 $P "EHLO c" "MAIL FROM:<a@b>" "QUIT")
assert_contains "$out" "451 4.7.1 Sender throttled" "mail4xx MAIL"
out=$($SMTPC chat $A.54 $P "EHLO c" "MAIL FROM:<a@b>" "QUIT")
assert_contains "$out" "550 5.7.1 Sender refused" "mail5xx MAIL"

note "greylist: 451 at the first RCPT of a sender and recipient, 250 at the next"
out=$($SMTPC chat $A.55 $P "EHLO c" "MAIL FROM:<a@b>" "RCPT TO:<c@d>" "RSET" "MAIL FROM:<a@b>" \
    "RCPT TO:<c@d>" "RCPT TO:<e@d>" "QUIT")
assert_contains "$out" "$(printf '451 4.7.1 Greylisted, try again later\r\n250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n451 4.7.1 Greylisted')" "greylist replies"

note "delay: banner after delay=1.5 s, then a normal server"
out=$($SMTPC greet $A.33 $P)
ge "$(kv first_byte "$out")" 1.45 "delay mode banner time"
le "$(kv first_byte "$out")" 3 "delay mode banner time"
assert_contains "$out" "220 mx.test ESMTP mxw-smtpd" "delay mode banner"

note "slow: one byte per interval (0.05 s here, 1 s by default)"
out=$($SMTPC greet $A.34 $P)
assert_eq 29 "$(kv bytes "$out")" "slow banner length"
ge "$(kv done "$out")" 1.35 "28 gaps of 0.05 s"
out=$($SMTPC trickle $A.43 $P 2.5)
ge "$(kv bytes "$out")" 2 "bytes in 2.5 s at 1 byte/s"
le "$(kv bytes "$out")" 4 "bytes in 2.5 s at 1 byte/s"
assert_eq 1 "$(kv biggest_read "$out")" "largest single read from slow mode"

note "421: greets 421 and closes"
out=$($SMTPC greet $A.35 $P)
assert_contains "$out" "421 4.3.2 mx.test service not available, try later" "421 greeting"
assert_eq 1 "$(kv closed "$out")" "421 closes"

note "554: greets 554, 503 to everything, 221 to QUIT"
out=$($SMTPC chat $A.36 $P "EHLO c" "MAIL FROM:<a@b>" "QUIT")
assert_contains "$out" "554 5.7.1 mx.test no SMTP service here" "554 greeting"
assert_eq 2 "$(grep -c '^503 ' <<<"$out")" "503 replies"
assert_contains "$out" "221 2.0.0 Bye" "554 QUIT"

note "garbage: bytes=4096 of binary with NULs and no CR/LF, then close"
out=$($SMTPC drain $A.37 $P 5)
assert_eq 4096 "$(kv bytes "$out")" "garbage size"
assert_eq 0 "$(kv lf "$out")" "LF in garbage"
assert_eq 0 "$(kv cr "$out")" "CR in garbage"
ge "$(kv nul "$out")" 64 "NULs in garbage"
assert_eq eof "$(kv end "$out")" "garbage end"
ge "$(kv secs "$out")" 0.25 "garbage sent over a while"

note "huge: a 102400-byte multi-line greeting, then a normal EHLO"
out=$($SMTPC greet $A.38 $P)
assert_eq 102400 "$(kv bytes "$out")" "huge greeting size"
body=$(sed '1,/^---$/d' <<<"$out")
assert_eq 1 "$(grep -c '^220 ' <<<"$body")" "final 220 lines"
assert_eq "$(($(wc -l <<<"$body") - 1))" "$(grep -c '^220-' <<<"$body")" "220- lines"
out=$($SMTPC chat $A.38 $P "EHLO c" "QUIT")
assert_contains "$out" "250 ENHANCEDSTATUSCODES" "EHLO after the huge greeting"

note "silent: never writes, keeps the socket open, logs what the client sends"
out=$(SMTPC_WAIT=0.5 $SMTPC chat $A.39 $P "QUIT")
assert_eq 0 "$(kv closed "$out")" "silent closed the connection"
assert_eq "" "$(sed '1,/^---$/d' <<<"$out")" "bytes from silent mode"
wait_for 3 bash -c "grep -F 'listener=$A.39:$P' '$T/events.log' | grep -q 'verb=QUIT reply=0'" ||
    fail "QUIT sent to silent mode not logged"
out=$($SMTPC drain $A.44 $P 5)
assert_eq 0 "$(kv bytes "$out")" "bytes from silent,idle=1"
assert_eq eof "$(kv end "$out")" "silent,idle=1 end"
ge "$(kv secs "$out")" 0.95 "silent idle close time"

note "noehlo: a banner, then no answer to EHLO"
out=$(SMTPC_WAIT=0.5 $SMTPC chat $A.40 $P "EHLO c")
assert_contains "$out" "220 mx.test ESMTP mxw-smtpd" "noehlo banner"
assert_not_contains "$out" "250" "noehlo answer"
logged "listener=$A.40:$P" | grep -q "verb=EHLO reply=0" || fail "EHLO to noehlo not logged"

note "reset: closed with RST"
out=$($SMTPC drain $A.41 $P 3)
assert_eq reset "$(kv end "$out")" "reset mode end"
logged "listener=$A.41:$P" | grep -q "reason=reset" || fail "reset not logged"

note "noquit: EHLO answered; QUIT never, nor anything after it; the client's close ends it"
out=$(SMTPC_WAIT=0.5 $SMTPC chat $A.47 $P "EHLO c" "QUIT" "NOOP")
assert_contains "$out" "250 ENHANCEDSTATUSCODES" "noquit EHLO reply"
assert_not_contains "$out" "221 " "noquit reply to QUIT"
assert_eq 0 "$(kv closed "$out")" "noquit closed the connection after QUIT"
logged "listener=$A.47:$P" | grep -q "verb=QUIT reply=0" || fail "QUIT to noquit not logged unanswered"
logged "listener=$A.47:$P" | grep -q "verb=NOOP reply=0" || fail "NOOP after QUIT answered by noquit"
wait_for 3 bash -c "grep -F 'listener=$A.47:$P' '$T/events.log' | grep -q 'reason=eof state=mute'" ||
    fail "noquit session not ended by the client's close"

note "badtls: STARTTLS said yes to, then the ClientHello answered in plain text"
out=$(printf 'QUIT\r\n' | timeout 10 openssl s_client -starttls smtp -connect $A.48:$P 2>&1) || true
assert_contains "$out" "wrong version number" "openssl s_client against badtls"
assert_not_contains "$out" "221 2.0.0 Bye" "openssl s_client against badtls"
logged "listener=$A.48:$P" | grep -q "verb=STARTTLS reply=220" || fail "badtls did not say 220 to STARTTLS"
logged "listener=$A.48:$P" | grep -q "event=tls_hello bytes=" || fail "badtls did not log the ClientHello"
! logged "listener=$A.48:$P" | grep -q "event=tls " || fail "badtls negotiated TLS"
P3=$(free_port)
"$MXW_SMTPD" --hostname mx.test --listen $A.51:$P3=badtls --listen $A.52:$P3=ok \
    >>"$T/smtpd3.log" 2>&1 &
track $!
wait_tcp $A.51 $P3
out=$($SMTPC chat $A.51 $P3 "EHLO c" "STARTTLS")
assert_contains "$out" "250-STARTTLS" "badtls EHLO without a certificate"
assert_contains "$out" "220 2.0.0 Ready to start TLS" "badtls STARTTLS without a certificate"
assert_not_contains "$($SMTPC chat $A.52 $P3 "EHLO c")" "STARTTLS" "ok EHLO without a certificate"

note "backlog: never accepts; a connect times out (its SYN dropped) rather than being refused"
rc=0
curl -sS --connect-timeout 1 "smtp://$A.49:$P" 2>"$T/curl-backlog.err" || rc=$?
assert_eq 28 "$rc" "curl's exit status against backlog (28: timed out, 7: refused)"
[ "$(ss -Htn state syn-sent "( dst $A.49 )" | wc -l)" -ge 1 ] ||
    fail "no SYN-SENT connection towards the backlog listener"
logged "listener=$A.49:$P mode=backlog event=queue_full" >/dev/null || fail "backlog not logged"
! logged "listener=$A.49:$P" | grep -q "event=connect" || fail "backlog accepted a connection"

note "banner=: the greeting's text and EHLO's and HELO's first line, markup and commas kept"
out=$($SMTPC chat $A.50 $P "EHLO c" "HELO c" "QUIT")
ban='<script>alert(1)</script>, <b>hostile</b> ESMTP'
assert_contains "$out" "220 $ban" "banner= greeting"
assert_contains "$out" "250-$ban" "banner= EHLO reply"
assert_contains "$out" "250 $ban" "banner= HELO reply"
assert_contains "$out" "221 2.0.0 Bye" "banner= QUIT"
assert_not_contains "$out" "ESMTP mxw-smtpd" "banner= greeting"

note "bounds: 1000-byte lines pass, 1001 do not; message and SIZE limits; idle timeout"
l998=$(printf 'X%.0s' $(seq 998))
out=$($SMTPC chat $A.42 $P "$l998" "${l998}Y" "$(printf 'Z%.0s' $(seq 5000))" "NOOP")
assert_contains "$out" "502 5.5.2 Error: command not recognized" "998-byte line"
assert_eq 2 "$(grep -c '^500 5.5.2 line too long' <<<"$out")" "over-long lines"
assert_contains "$out" "250 2.0.0 Ok" "NOOP after an over-long line"
big=$(printf 'y%.0s' $(seq 100))
out=$($SMTPC chat $A.42 $P "EHLO c" "MAIL FROM:<a@b> SIZE=2001" "MAIL FROM:<a@b> SIZE=2000" \
    "RCPT TO:<c@d>" "DATA" "$(printf "<$big|%.0s" $(seq 30))." "QUIT")
assert_contains "$out" "250-SIZE 2000" "advertised SIZE"
assert_contains "$out" "552 5.3.4 Message size exceeds fixed limit" "MAIL SIZE over limit"
assert_contains "$out" "552 5.3.4 Error: message too big" "3 KB body over maxmsg=2000"
out=$($SMTPC drain $A.42 $P 5)
assert_eq eof "$(kv end "$out")" "idle=1 end"
ge "$(kv secs "$out")" 0.95 "idle close time"
logged "listener=$A.42:$P" | grep -q "reason=idle_timeout" || fail "idle timeout not logged"

note "bounds: too many errors; a client that never reads stays bounded"
out=$($SMTPC chat $A.31 $P "$(printf 'BAD|%.0s' $(seq 49))BAD")
assert_contains "$out" "421 4.7.0 mx.test Error: too many errors" "error limit"
assert_eq 1 "$(kv closed "$out")" "closed after too many errors"
out=$($SMTPC flood $A.31 $P 1.5)
ge "$(kv sent "$out")" 100000 "bytes the flooding client got to send"
wait_for 3 grep -q "event=paused queued=" "$T/events.log" || fail "no pause for a non-reader"
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$SMTPD_PID/status")
le "$rss" 40000 "server RSS in KB after a flood"
$SMTPC chat $A.31 $P "NOOP" | grep -q "250 2.0.0 Ok" || fail "server unusable after a flood"
$SMTPC drain $A.37 $P 0.3 >/dev/null
printf 'A\0\377\r\n\0\0\n' >"$T/junk"
head -c 200000 /dev/urandom >>"$T/junk"
(exec 3<>"/dev/tcp/$A.31/$P" && cat "$T/junk" >&3) 2>/dev/null || true
$SMTPC chat $A.31 $P "NOOP" | grep -q "250 2.0.0 Ok" || fail "server unusable after junk"

note "--max-conns: the third client of two gets 421"
P2=$(free_port)
"$MXW_SMTPD" --hostname mx.test --max-conns 2 --listen $A.45:$P2=silent \
    --listen $A.46:$P2=ok >>"$T/smtpd2.log" 2>&1 &
track $!
wait_tcp $A.46 $P2
sleep 0.2
$SMTPC drain $A.45 $P2 4 >/dev/null &
$SMTPC drain $A.45 $P2 4 >/dev/null &
sleep 0.5
out=$($SMTPC greet $A.46 $P2)
assert_contains "$out" "421 4.7.0 mx.test Error: too many connections" "over --max-conns"

note "SIGTERM: open sessions closed, pid file removed, exit 0"
exec 4<>"/dev/tcp/$A.39/$P"
sleep 0.2
kill -TERM $SMTPD_PID
rc=0
wait $SMTPD_PID || rc=$?
assert_eq 0 "$rc" "exit status after SIGTERM"
[ ! -e "$T/smtpd.pid" ] || fail "pid file left behind"
logged "reason=shutdown" >/dev/null || fail "open session not closed at shutdown"
logged "event=stop" >/dev/null || fail "stop not logged"
exec 4<&-
note "all smtpd modes behave"
