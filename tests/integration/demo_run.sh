#!/usr/bin/env bash
# timeout: 210
# `make run`'s script (deploy/demo/run.sh) as a user runs it, on a terminal (tests/lib/
# pty_run.py): it prints the URLs, the agent serves the demo world over HTTP and through its
# private snmpd, and Ctrl-C stops the agent and everything started for it, with no error
# logged and nothing left running, whatever order the stop reaches the agent and snmpd in.
# Where the host can run the demo's private Postfix (deploy/demo/mta.sh), the banner says so
# and prints the admin's login; in the first run, within a minute, the agent's /metrics show
# recipients waiting for refused, silent and throttled.test, deliveries to the up ones,
# DNS-class bounces for nullmx and nxdomain.test and a connection to the silent MX, the
# admin sees refused.test's Retry button, chromium shows the stuck destinations first on the
# page sorted by active recipients (tests/browser/stuck.cjs, with screenshots), and
# `mxwatch delivernow refused.test` with the printed credentials reschedules its deferred
# mail; after every stop no process of that instance is left and its directories are gone.
# Elsewhere the banner must give the one-line reason instead.
#   ctrl_c      a plain Ctrl-C: the agent stops first, while its AgentX master is still there
#   snmpd_first snmpd is killed first, then Ctrl-C
#   together    the agent and snmpd get SIGINT at once (what a Ctrl-C to every process did)
# In the sanitizer build, a leak or report from any of these stops fails the test (deploy/demo/lib.sh).
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/postfix.sh"
source "$MXW_TOP/deploy/demo/mta.sh"
no_mta=$(mta_demo_why_not)

walk() { snmpbulkwalk -v2c -c public -On -Oq -t 2 -r 1 "127.0.0.1:$snmp_port" 1.3.6.1.4.1.32473.725.1.2 2>/dev/null; }
# Status column (2) of alpha.test: the index is the length-prefixed name.
alpha_idx=$(printf '%d' "'a").$(printf 'lpha.test' | od -An -tu1 | tr -s ' ' '.' | sed 's/^\.//;s/\.$//')
alpha_up() {
    local rows
    rows=$(walk) && grep -q "^.1.3.6.1.4.1.32473.725.1.2.1.2.10.$alpha_idx 1$" <<<"$rows"
}

# demo_start NAME [LIMIT]: make run's script on a terminal (for at most LIMIT seconds,
# default 60); sets OUT, PTY, AGENT_URL, AUTH (curl's credentials), snmp_port, world (the
# demo's temp dir), agent_pid and snmpd_pid, once alpha.test is up over SNMP.
demo_start() {
    local port pw
    port=$(free_port)
    OUT=$T/demo-$1.log
    env LISTEN="127.0.0.1:$port" WORLD_INTERVAL=5s \
        python3 "$MXW_TOP/tests/lib/pty_run.py" "$OUT" "${2:-60}" bash "$MXW_TOP/deploy/demo/run.sh" "$BUILD" &
    PTY=$!
    track $PTY
    AGENT_URL=http://127.0.0.1:$port
    wait_for 30 grep -q "Ctrl-C stops everything" "$OUT" || fail "$1: make run printed no banner"
    AUTH=()
    if [ -z "$no_mta" ]; then
        assert_contains "$(cat "$OUT")" "MTA           private Postfix" "$1: make run's banner"
        pw=$(sed -n 's/^ *login *admin \/ \([0-9a-f]*\) .*/\1/p' "$OUT")
        [ -n "$pw" ] || fail "$1: no admin login in make run's banner"
        AUTH=(-u "admin:$pw")
    else
        assert_contains "$(cat "$OUT")" "MTA           none: $no_mta;" "$1: make run's banner"
    fi
    wait_for 30 curl -fsS "${AUTH[@]}" "$AGENT_URL/-/healthy" || fail "$1: make run's agent did not come up"
    assert_contains "$(cat "$OUT")" "status page   $AGENT_URL/" "make run's banner"
    assert_contains "$(cat "$OUT")" "metrics       $AGENT_URL/metrics" "make run's banner"
    snmp_port=$(sed -n 's/.*snmpbulkwalk -v2c -c public 127.0.0.1:\([0-9]*\) .*/\1/p' "$OUT")
    [ -n "$snmp_port" ] || fail "$1: no SNMP port in make run's banner"
    world=$(sed -n 's/^ *config *\(.*\)\/world\.yml.*/\1/p' "$OUT" | tr -d '\r')
    [ -d "$world" ] || fail "$1: no world directory in make run's banner"
    # A failed test may leave them behind: the Postfix instance (whose daemons do not name
    # $world in their command lines), then everything else.
    on_exit "pf_stop '$world/postfix/etc' '$world/postfix/spool'"
    on_exit "pkill -KILL -f '$world/'"
    agent_pid=$(pgrep -f "mxwatch run (--run-as-root )?--config.file=$world/world.yml")
    snmpd_pid=$(cat "$world/snmpd.pid")
    wait_for 30 alpha_up || fail "$1: alpha.test is not up(1) in mxwDestinationTable"
}

# demo_stopped NAME: the script ended on its own, said goodbye, left nothing running and
# logged nothing at error level.
demo_stopped() {
    wait_for 15 bash -c "! kill -0 $PTY 2>/dev/null" || fail "$1: make run did not stop"
    local left
    left=$(pgrep -f "$world/" | tr '\n' ' ' || true)
    [ -z "$left" ] || fail "$1: processes left after the stop: $(ps -o pid,args -p "${left// /,}")"
    assert_contains "$(cat "$OUT")" "demo world stopped" "$1: make run's goodbye"
    left=$(pf_left "$world/postfix/etc" | tr '\n' ' ')
    [ -z "$left" ] || fail "$1: Postfix processes left after the stop: $(ps -o pid,args -p "${left// /,}")"
    [ ! -e "$world" ] || fail "$1: $world left after the stop: $(ls -A "$world")"
    assert_contains "$(cat "$OUT")" 'subsys=snmp msg="SNMP subagent stopped"' "$1: the agent's log"
    assert_not_contains "$(cat "$OUT")" "a file holding a secret is readable" "$1: the agent's log"
    if grep -E 'level=error|netsnmp_assert' "$OUT"; then
        fail "$1: the stop logged errors"
    fi
    local stop
    stop=$(sed -n '/subsys=daemon msg="stopping"/,$p' "$OUT")
    [ -n "$stop" ] || fail "$1: the agent did not log its stop"
    assert_not_contains "$stop" "reconnecting in" "$1: the agent's log after the stop began"
    assert_not_contains "$stop" "reconnecting every" "$1: the agent's log after the stop began"
}

# mta_figures: the agent's /metrics show what the trickle of mail does to each destination.
mta_figures() {
    local m d v
    m=$(curl -fsS --max-time 5 "${AUTH[@]}" "$AGENT_URL/metrics") || return 1
    for d in refused.test silent.test throttled.test; do
        v=$(metric_value "$m" "mxwatch_active_recipients{destination=\"$d\"}")
        [ "${v:-0}" -gt 0 ] || return 1
    done
    for d in alpha.test beta.test implicit.test; do
        v=$(metric_value "$m" "mxwatch_delivered_recipients_total{destination=\"$d\"}")
        [ "${v:-0}" -gt 0 ] || return 1
    done
    for d in nullmx.test nxdomain.test; do
        v=$(metric_value "$m" "mxwatch_hard_bounced_recipients_total{destination=\"$d\",reason=\"dns\"}")
        [ "${v:-0}" -gt 0 ] || return 1
    done
    # A session to the silent MX lasts 20 s (smtp_helo_timeout): some run at any time.
    [ "${SEEN_SILENT_CONN:-}" ] || {
        v=$(metric_value "$m" 'mxwatch_outbound_connections{destination="silent.test",state="current"}')
        [ "${v:-0}" -gt 0 ] && SEEN_SILENT_CONN=1
    }
    [ "${SEEN_SILENT_CONN:-}" ]
}

# delivernow_refused: the CLI, with the file of the printed credentials, has refused.test's
# deferred mail rescheduled (mail that is being retried right now is in the active queue,
# so the first try may find none deferred).
delivernow_refused() {
    local auth
    auth=$(sed -n 's/.*--auth.file=\([^ ]*\) refused.test.*/\1/p' "$OUT" | tr -d '\r')
    DN_OUT=$("$MXWATCH" delivernow --url="$AGENT_URL" --auth.file="$auth" refused.test 2>&1) &&
        grep -qE 'refused\.test: [1-9][0-9]* of [1-9][0-9]* deferred messages scheduled for delivery now' <<<"$DN_OUT"
}

# 1. Ctrl-C: the agent stops before the world, so its master is there to the end. With
# the MTA: the figures and delivernow first.
if [ -z "$no_mta" ]; then
    demo_start ctrl_c 150
    wait_for 60 mta_figures || fail "the demo's MTA figures after a minute: $(curl -fsS "${AUTH[@]}" "$AGENT_URL/metrics" |
        grep -E '^mxwatch_(active_recipients|delivered_recipients_total|hard_bounced_recipients_total|outbound_connections)\{' |
        grep -v ' 0$')"
    page=$(curl -fsS "${AUTH[@]}" "$AGENT_URL/destinations/refused.test")
    assert_contains "$page" 'data-retry="refused.test"' "refused.test's page for the admin (its Retry button)"
    # The page as the operator sees it, in chromium with the printed login (screenshots of
    # the stuck destinations in $MXW_TEST_OUT/demo_run/).
    shots=${MXW_TEST_OUT:-$T}/demo_run
    mkdir -p "$shots"
    NODE_PATH=$MXW_TOP/.cache/npm/node_modules node "$MXW_TOP/tests/browser/stuck.cjs" "$AGENT_URL" \
        "$shots" admin "${AUTH[1]#admin:}" >"$T/stuck.log" 2>&1 || fail "the stuck destinations in the browser: $(cat "$T/stuck.log")"
    note "$(grep -c '^ok' "$T/stuck.log") browser checks; screenshots $shots/stuck.png $shots/stuck-detail.png"
    if [ "${MXW_UPDATE_SCREENSHOT:-}" = 1 ]; then # the README's picture of make run
        cp "$shots/stuck.png" "$MXW_TOP/docs/img/make-run.png"
        note "updated docs/img/make-run.png"
    fi
    wait_for 30 delivernow_refused || fail "mxwatch delivernow refused.test: $DN_OUT"
    note "$DN_OUT"
    grep -q 'subsys=delivernow msg="requested" job=[0-9]* trigger=manual who=admin destination=refused.test' "$OUT" ||
        fail "the agent did not log admin's delivernow"
else
    demo_start ctrl_c
    note "no MTA in the demo: $no_mta"
fi
kill -USR1 "$PTY"
demo_stopped ctrl_c
assert_not_contains "$(cat "$OUT")" "AgentX master went away" "ctrl_c: the agent's log (snmpd stopped before the agent)"
assert_not_contains "$(cat "$OUT")" "lost the AgentX master" "ctrl_c: the agent's log (snmpd stopped before the agent)"

# 2. The master disappears first; the agent notices, then the user stops it.
demo_start snmpd_first
kill -TERM "$snmpd_pid"
wait_for 20 grep -q "lost the AgentX master" "$OUT" || fail "snmpd_first: the agent did not notice snmpd's end"
kill -USR1 "$PTY"
demo_stopped snmpd_first

# 3. Both at once: the subagent may find its master gone in the middle of saying goodbye.
demo_start together
kill -INT "$agent_pid" "$snmpd_pid"
demo_stopped together
note "ok"
