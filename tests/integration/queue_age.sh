#!/usr/bin/env bash
# timeout: 150
# The queue's shape per destination (docs/METRICS.md) against a real, private Postfix
# (tests/lib/postfix.sh): recipients by age bucket and by queue, hold apart from deferred,
# and the oldest and newest message ages, all equal to what `postqueue -j` lists for the
# queue this test made (counted here with jq and awk, not with the agent's parser); the same
# figures in the JSON API and in `mxwatch hoststatus`.
#
# Destinations (Postfix transport_maps to 127.0.0.x, one port P):
#   down.test  nothing listens (refused)  -> deferred; one of its messages is then held
#   slow.test  mxw-smtpd "silent": never greets -> active while Postfix waits for it
#   held.test  refused, its only message then held -> hold only: waiting for nobody
# All the mail is fresh, so only the "5m" bucket is filled from a real queue: Postfix's
# arrival_time is the queue file's own time record, not its mtime (`touch -d` on a deferred
# or held queue file leaves `postqueue -j` unchanged; a deferred file's mtime is its next
# retry), and a test cannot wait an hour. The other buckets' bounds are unit-tested
# (tests/unit/sources/test_pfqueue.c).
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/postfix.sh"

P=$(free_port)
start_smtpd --log "$T/smtpd-events.log" --listen "127.0.0.35:$P=silent,idle=600"
wait_for 5 grep -q event=ready "$T/smtpd-events.log" || fail "mxw-smtpd did not start"

DNS_PORT=$(free_port)
printf 'host-record=slow.test,127.0.0.35\n' >"$T/zone.conf"
start_dnsmasq "$DNS_PORT" "$T/zone.conf"

start_postfix "$T/pf" "down.test=smtp:[127.0.0.32]:$P
slow.test=smtp:[127.0.0.35]:$P
held.test=smtp:[127.0.0.32]:$P" "queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s
smtp_helo_timeout = 300s"

cat >"$T/agent.yml" <<EOC
global:
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  smtp_port: $P
  probe_interval: 60s
  connect_timeout: 1s
  banner_timeout: 2s
  total_timeout: 4s
destinations: [down.test, slow.test, held.test]
snmp: {enabled: false}
sources:
  postfix:
    enabled: true
    config_directory: $PF_CONF
    queue_interval: 1s
EOC
start_agent "$T/agent.yml"

# ---- the queue: deferred, active and held mail, two arrival times for down.test ----
pf_send s1@origin.test x1@down.test x2@down.test
pf_send s2@origin.test y1@down.test
pf_send s3@origin.test h1@held.test
pf_send s4@origin.test w1@slow.test
sleep 2 # so that down.test's newest message is younger than its oldest
pf_send s5@origin.test z1@down.test

# queued RCPT_REGEX QUEUE: recipients in that queue whose address matches.
queued() {
    pf_queue_json | jq -r --arg q "$2" 'select(.queue_name == $q) | .recipients[].address' |
        grep -cE "$1" || true
}
settled() {
    [ "$(queued '@down\.test$' deferred)" = 4 ] && [ "$(queued '@held\.test$' deferred)" = 1 ] &&
        [ "$(queued '@slow\.test$' active)" = 1 ]
}
wait_for 30 settled || fail "Postfix did not defer and hold the test's mail: $(pf_queue_json)"
qid_of() { pf_queue_json | jq -r --arg r "$1" 'select(.recipients[].address == $r) | .queue_id'; }
for r in y1@down.test h1@held.test; do
    qid=$(qid_of "$r")
    [ -n "$qid" ] || fail "$r is not queued"
    postsuper -c "$PF_CONF" -h "$qid" >"$T/postsuper.out" 2>&1 || fail "postsuper -h $qid: $(cat "$T/postsuper.out")"
done
[ "$(queued '@(down|held)\.test$' hold)" = 2 ] || fail "postsuper -h held no mail: $(pf_queue_json)"

# ---- the oracle: postqueue -j, bucketed as docs/METRICS.md says ----

# shape_expect DEST: "KEY COUNT" for the four queues (maildrop counts as incoming) and the
# five age buckets (hold excluded; each exclusive, labelled by its upper bound).
shape_expect() {
    pf_queue_json | jq -r --arg d "$1" --argjson now "$(date +%s)" '
        .queue_name as $q | ($now - .arrival_time) as $age |
        .recipients[] | select((.address | split("@") | last | ascii_downcase) == $d) |
        "\($q) \($age)"' |
        awk '{ q = $1 == "maildrop" ? "incoming" : $1; n[q]++
               if (q != "hold") {
                   a = $2
                   n[a < 300 ? "5m" : a < 3600 ? "1h" : a < 14400 ? "4h" : a < 86400 ? "1d" : "older"]++
               } }
             END { split("active deferred hold incoming 5m 1h 4h 1d older", k, " ")
                   for (i = 1; i <= 9; i++) print k[i], n[k[i]] + 0 }'
}
# The agent's view: M holds the last scrape; an absent sample reads "absent".
val() {
    local v
    v=$(metric_value "$M" "$1")
    echo "${v:-absent}"
}
shape_pairs() { # prints "what agent expected"
    local d k v name
    for d in down.test slow.test held.test; do
        while read -r k v; do
            case $k in
            active | deferred | hold | incoming) name="mxwatch_queued_recipients_by_queue{destination=\"$d\",queue=\"$k\"}" ;;
            *) name="mxwatch_queued_recipients{destination=\"$d\",age=\"$k\"}" ;;
            esac
            echo "${k}_$d $(val "$name") $v"
        done < <(shape_expect "$d")
    done
}
shape_matches() {
    M=$(scrape) || return 1
    shape_pairs | awk '$2 != $3 { bad = 1 } END { exit bad }'
}
wait_for 20 shape_matches || {
    M=$(scrape)
    shape_pairs | sed 's/^/  name agent postqueue: /' >&2
    fail "the agent's queue shape differs from postqueue -j"
}
note "queue shape matches postqueue -j: $(shape_pairs | awk '$3 != 0 { printf "%s=%s ", $1, $2 }')"

# What the queue holds, stated outright (the oracle above could agree with a wrong agent
# only if both were wrong the same way): fresh mail is in "5m", hold stays apart.
M=$(scrape)
qr() { val "mxwatch_queued_recipients{destination=\"$1\",age=\"$2\"}"; }
qq() { val "mxwatch_queued_recipients_by_queue{destination=\"$1\",queue=\"$2\"}"; }
assert_eq 3 "$(qq down.test deferred)" "down.test recipients in the deferred queue"
assert_eq 1 "$(qq down.test hold)" "down.test recipients in the hold queue"
assert_eq 3 "$(qr down.test 5m)" "down.test recipients younger than 5 minutes (hold excluded)"
assert_eq 0 "$(qr down.test 1h)" "down.test recipients 5 minutes to 1 hour old"
assert_eq 3 "$(val 'mxwatch_active_recipients{destination="down.test"}')" "down.test active recipients"
assert_eq 1 "$(qq slow.test active)" "slow.test recipients in the active queue"
assert_eq 1 "$(qr slow.test 5m)" "slow.test recipients younger than 5 minutes"
assert_eq 1 "$(qq held.test hold)" "held.test recipients in the hold queue"
assert_eq 0 "$(qq held.test deferred)" "held.test recipients in the deferred queue"
assert_eq 0 "$(qr held.test 5m)" "held.test recipients by age (hold only)"
assert_eq 0 "$(val 'mxwatch_newest_message_age_seconds{destination="held.test"}')" "held.test newest age (hold only)"

# Oldest and newest: s1's and s5's ages (held y1 counts in neither).
arrival() { pf_queue_json | jq -r --arg r "$1" 'select(.recipients[].address == $r) | .arrival_time'; }
near() { # WHAT AGE ARRIVAL: AGE is now - ARRIVAL, within a scan's lag
    awk -v a="$2" -v t="$3" -v now="$(date +%s)" 'BEGIN { exit !(a >= now - t - 3 && a <= now - t + 1) }' ||
        fail "$1: $2 s, but the message arrived $(($(date +%s) - $3)) s ago"
}
oldest=$(val 'mxwatch_oldest_message_age_seconds{destination="down.test"}')
newest=$(val 'mxwatch_newest_message_age_seconds{destination="down.test"}')
near "oldest message age of down.test" "$oldest" "$(arrival x1@down.test)"
near "newest message age of down.test" "$newest" "$(arrival z1@down.test)"
awk -v o="$oldest" -v n="$newest" 'BEGIN { exit !(n < o) }' || fail "newest age $newest is not below oldest $oldest"

# ---- the JSON API and hoststatus show the same figures ----
doc=$(curl -fsS "$AGENT_URL/api/v1/destinations/down.test")
assert_eq "1 3 3 0" "$(jq -r '.mta | "\(.queued_by_queue.hold) \(.queued_by_queue.deferred) \(.queued_by_age["5m"]) \(.queued_by_age.older)"' <<<"$doc")" \
    "the API's queue shape of down.test (hold deferred 5m older)"
jq -e '.mta.newest_message_age_seconds > 0' <<<"$doc" >/dev/null || fail "the API has no newest message age: $doc"
out=$("$MXWATCH" hoststatus --url="$AGENT_URL" down.test) || fail "hoststatus down.test failed: $out"
line() { awk -v l="$1" 'index($0, l) { print $NF; exit }' <<<"$out"; }
assert_eq 1 "$(line 'Hold Queue')" "hoststatus' Hold Queue of down.test"
assert_eq 3 "$(line 'Deferred Queue')" "hoststatus' Deferred Queue of down.test"
assert_eq 3 "$(line 'Younger Than 5m')" "hoststatus' Younger Than 5m of down.test"
note "ok"
